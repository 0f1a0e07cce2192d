package scan

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// part is what one source kept of one namespace; merged, the parts of every
// source make a namespace's view.
type part struct {
	namespace string
	objects   objects
}

// source lists one namespaced kind page by page and hands it on one
// namespace at a time, in the API server's key order.
//
// A paged LIST returns objects in etcd key order, /registry/<kind>/<ns>/<name>
// (the continue token is the last key read), so the objects of a namespace
// come together and namespaces come in the order of nsKey. The scan relies
// on it to hold a single namespace at a time; a page that breaks the order
// ends the source with an error instead of a silently partial result.
type source struct {
	name string // the resource, for messages
	perm report.Permission
	list func(context.Context, metav1.ListOptions) (runtime.Object, error)
	// keep copies what the checks need of obj into o.
	keep func(o *objects, obj runtime.Object)

	parts chan part
	// pages bounds the pages being read at once, shared by the sources.
	pages chan struct{}
	// Written before parts is closed.
	count int
	err   error
}

// nsKey orders namespaces as the API server lists them: by the key prefix
// "<ns>/", so "a-b" comes before "a".
func nsKey(ns string) string { return ns + "/" }

// run lists everything, sends one part per namespace, and closes parts.
func (s *source) run(ctx context.Context, pageSize int64) {
	defer close(s.parts)
	s.err = kube.Read(s.perm, s.read(ctx, pageSize))
}

func (s *source) read(ctx context.Context, pageSize int64) error {
	var cur *part
	opts := metav1.ListOptions{Limit: pageSize}
	for {
		parts, next, err := s.page(ctx, opts)
		if err != nil {
			return err
		}
		for _, p := range parts {
			switch {
			case cur == nil:
				cur = &p
			case p.namespace == cur.namespace:
				cur.objects.add(p.objects)
			case nsKey(p.namespace) < nsKey(cur.namespace):
				return fmt.Errorf("the API server listed %s of namespace %q after %q, out of key order: the scan reads each namespace once", s.name, p.namespace, cur.namespace)
			default:
				if err := s.send(ctx, *cur); err != nil {
					return err
				}
				cur = &p
			}
		}
		if next == "" {
			break
		}
		opts.Continue = next
	}
	if cur == nil {
		return nil
	}
	return s.send(ctx, *cur)
}

// page reads one page and keeps what the checks need of it, a part per
// namespace in key order; it holds one of the pages slots meanwhile, as the
// page's decoded objects are what the scan's memory peaks on.
func (s *source) page(ctx context.Context, opts metav1.ListOptions) ([]part, string, error) {
	select {
	case s.pages <- struct{}{}:
		defer func() { <-s.pages }()
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	list, err := s.list(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, "", fmt.Errorf("reading the %s list: %w", s.name, err)
	}
	next, err := meta.ListAccessor(list)
	if err != nil {
		return nil, "", fmt.Errorf("reading the %s list: %w", s.name, err)
	}
	// Within a page the server's order is already the key order;
	// sorting also orders servers and fakes that ignore limit.
	sort.SliceStable(items, func(i, j int) bool { return nsKey(namespaceOf(items[i])) < nsKey(namespaceOf(items[j])) })
	var parts []part
	for _, obj := range items {
		ns := namespaceOf(obj)
		if len(parts) == 0 || parts[len(parts)-1].namespace != ns {
			parts = append(parts, part{namespace: ns})
		}
		s.keep(&parts[len(parts)-1].objects, obj)
		s.count++
	}
	return parts, next.GetContinue(), nil
}

func (s *source) send(ctx context.Context, p part) error {
	select {
	case s.parts <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func namespaceOf(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetNamespace()
}
