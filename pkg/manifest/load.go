// Package manifest reads Kubernetes manifests from files (offline mode) into
// a policy.Snapshot: namespaces, pods, NetworkPolicies, AdminNetworkPolicies,
// the BaselineAdminNetworkPolicy and ClusterNetworkPolicies (v1beta1, or
// v1alpha2 read as v1beta1). Objects of policy kinds the engine does not
// evaluate (a CNI's own, policyfetch.ClassifyKind) become Snapshot.Unjudged
// entries, so that the pods they may select are left undecided. Workloads (Deployment, StatefulSet,
// DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) each stand for
// one pod named after the workload, carrying its pod template.
//
// Input is read as kubectl apply reads it (-f, -R, -k): see Load and
// LoadKustomization. It is treated as hostile: files, documents, totals and
// nesting depth are bounded, and a malformed document is an error naming its
// file and document, never a panic. Documents are counted from 1 in messages
// (and in DocumentError.Document), in the order they appear; "---"
// separators with nothing between them are not counted.
//
// What is not a Kubernetes object is skipped with a WarnNotKubernetes
// warning, never silently and never by guessing at a malformed object:
//   - a file named like a kustomization (kustomization.yaml,
//     kustomization.yml, Kustomization) or Chart.yaml, unread;
//   - a directory holding a Chart.yaml (a Helm chart: its templates are not
//     YAML until rendered), with everything under it, unread;
//   - a document with no apiVersion, no kind and no metadata key (Helm
//     values, configuration files). A document with some of them but not
//     both apiVersion and kind is malformed (an error): a misspelt key in a
//     policy must not make it vanish.
package manifest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// Limits bound what Load reads. Zero fields take the defaults below.
type Limits struct {
	// MaxFileBytes is the largest file read.
	MaxFileBytes int64
	// MaxDocumentBytes is the largest single document.
	MaxDocumentBytes int
	// MaxTotalBytes bounds all files together.
	MaxTotalBytes int64
	// MaxDepth bounds the nesting of objects and arrays in a document.
	MaxDepth int
	// MaxFiles bounds the files read from directories.
	MaxFiles int
}

// Default limits: far above real manifests, low enough that hostile input
// cannot exhaust memory.
const (
	DefaultMaxFileBytes     = 64 << 20
	DefaultMaxDocumentBytes = 8 << 20
	DefaultMaxTotalBytes    = 256 << 20
	DefaultMaxDepth         = 64
	DefaultMaxFiles         = 10000
)

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxDocumentBytes <= 0 {
		l.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	return l
}

// Options tune Load.
type Options struct {
	// DefaultNamespace is given to namespaced objects that have none;
	// empty means "default".
	DefaultNamespace string
	// Recursive reads the subdirectories of a directory too (kubectl's
	// -R); otherwise only the directory's own files are read.
	Recursive bool
	// Stdin is read for the path "-"; nil makes "-" an error.
	Stdin  io.Reader
	Limits Limits
}

// Result is what Load found.
type Result struct {
	Snapshot policy.Snapshot
	// Warnings lists skipped kinds, replaced duplicates, implicit
	// namespaces and tolerated oddities, in reading order.
	Warnings []Warning
	// Sources says where each policy object kept was read ("FILE,
	// document N"), for messages about it.
	Sources map[policy.PolicyRef]string
	// FilesRead counts the inputs decoded: each file (the files of a
	// directory each count, including those whose documents were all
	// skipped), standard input once, a kustomize build once. Files
	// skipped unread (by name, or inside a Helm chart) do not count: each
	// has a WarnNotKubernetes warning instead.
	FilesRead int
}

// WarningKind sorts warnings so that callers need not read their text.
type WarningKind int

const (
	// WarnOther is a tolerated oddity (a field ignored, a name generated,
	// a policy kind not evaluated).
	WarnOther WarningKind = iota
	// WarnSkippedKind is an object of a kind network policy analysis does
	// not use (a Service, a ConfigMap).
	WarnSkippedKind
	// WarnNotKubernetes is a file or document that is not a Kubernetes
	// object (a kustomization, a Helm chart or values file), skipped.
	WarnNotKubernetes
	// WarnDuplicate is an object given again: the later one replaces the
	// earlier, as kubectl apply would; the message names both places.
	WarnDuplicate
	// WarnImplicitNamespace is a namespace referenced but not declared:
	// only its name label is known. Warning.Namespace names it.
	WarnImplicitNamespace
)

// Warning is something Load skipped or assumed. Document and Item count from
// 1; 0 means "not applicable".
type Warning struct {
	Kind     WarningKind
	File     string
	Document int
	Item     int
	Message  string
	// Namespace is the namespace of a WarnImplicitNamespace warning.
	Namespace string
}

func (w Warning) String() string { return where(w.File, w.Document, w.Item) + w.Message }

// DocumentError is a malformed document. Document and Item count from 1;
// Item is 0 unless the error is in an item of a List.
type DocumentError struct {
	File     string
	Document int
	Item     int
	Err      error
}

func (e *DocumentError) Error() string { return where(e.File, e.Document, e.Item) + e.Err.Error() }

func (e *DocumentError) Unwrap() error { return e.Err }

func where(file string, doc, item int) string {
	s := ""
	if file != "" {
		s = file + ": "
	}
	if doc > 0 {
		s += fmt.Sprintf("document %d: ", doc)
	}
	if item > 0 {
		s += fmt.Sprintf("item %d: ", item)
	}
	return s
}

// maxReportedErrors caps how many malformed documents one error lists.
const maxReportedErrors = 20

// Load reads the given files and directories as kubectl apply -f does and
// returns the objects as a snapshot. A directory gives its *.yaml, *.yml and
// *.json files, and those of its subdirectories with Options.Recursive; a
// path given explicitly is read whatever its extension; "-" reads
// Options.Stdin. A file holds YAML or JSON documents, JSON ones possibly
// separated by "---" too. Any malformed document makes Load fail with an
// error listing the malformed documents (each a *DocumentError); unknown
// kinds and what is not a Kubernetes object (see the package comment) are
// only warnings.
func Load(paths []string, opts Options) (*Result, error) {
	c := newCollector(opts)
	for _, p := range paths {
		if err := c.addPath(p); err != nil {
			return nil, err
		}
	}
	return c.finish()
}

// LoadBytes decodes one file's content, named name in messages.
func LoadBytes(name string, data []byte, opts Options) (*Result, error) {
	c := newCollector(opts)
	c.addBytes(name, data)
	return c.finish()
}

func (c *collector) addPath(path string) error {
	if path == "-" {
		if c.opts.Stdin == nil {
			return errors.New(`"-" given but no standard input is available`)
		}
		data, err := c.readLimited("<stdin>", c.opts.Stdin)
		if err != nil {
			return err
		}
		c.addBytes("<stdin>", data)
		return nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return err // an *fs.PathError: it names the path
	}
	if !info.IsDir() {
		return c.addFile(path, info)
	}
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err // an *fs.PathError: it names the path
		}
		if d.IsDir() {
			if p != path && !c.opts.Recursive {
				return fs.SkipDir
			}
			if isHelmChart(p) {
				c.warn(WarnNotKubernetes, source{file: p}, "a Helm chart (it has a Chart.yaml): skipped; give the output of helm template instead")
				return fs.SkipDir
			}
			return nil
		}
		if !hasManifestExt(p) {
			return nil
		}
		// Every candidate counts, read or not, so that a directory of
		// skipped files is bounded too.
		c.files++
		if c.files > c.limits.MaxFiles {
			return fmt.Errorf("more than %d files under %s", c.limits.MaxFiles, path)
		}
		// WalkDir does not follow symbolic links to directories; Stat
		// follows a link to a file so that its target is checked.
		info, err := os.Stat(p)
		if err != nil {
			return err // an *fs.PathError: it names the path
		}
		if !info.Mode().IsRegular() {
			c.warn(WarnOther, source{file: p}, "not a regular file: skipped")
			return nil
		}
		return c.addFile(p, info)
	})
}

// isHelmChart reports whether dir holds a Helm chart.
func isHelmChart(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && info.Mode().IsRegular()
}

// notManifestName says why a file is, by its name alone, not a manifest:
// kustomize and Helm read these files, kubectl apply -f would reject them.
func notManifestName(path string) string {
	switch base := filepath.Base(path); {
	case slices.Contains(konfig.RecognizedKustomizationFileNames(), base):
		return "a kustomization file: skipped; build its directory with kustomize (-k) instead"
	case base == "Chart.yaml":
		return "a Helm chart's Chart.yaml: skipped"
	}
	return ""
}

func hasManifestExt(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (c *collector) addFile(path string, info fs.FileInfo) error {
	if why := notManifestName(path); why != "" {
		c.warn(WarnNotKubernetes, source{file: path}, "%s", why)
		return nil
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	if info.Size() > c.limits.MaxFileBytes {
		return fmt.Errorf("%s: file is %d bytes, more than the limit of %d", path, info.Size(), c.limits.MaxFileBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return err // an *fs.PathError: it names the path
	}
	defer f.Close()
	data, err := c.readLimited(path, f)
	if err != nil {
		return err
	}
	c.addBytes(path, data)
	return nil
}

// readLimited reads at most the file limit (the file may grow after Stat, and
// stdin has no size) and charges the total.
func (c *collector) readLimited(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, c.limits.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > c.limits.MaxFileBytes {
		return nil, fmt.Errorf("%s: more than the limit of %d bytes", name, c.limits.MaxFileBytes)
	}
	c.total += int64(len(data))
	if c.total > c.limits.MaxTotalBytes {
		return nil, fmt.Errorf("%s: manifests total more than the limit of %d bytes", name, c.limits.MaxTotalBytes)
	}
	return data, nil
}
