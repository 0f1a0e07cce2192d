package manifest

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/policyfetch"
)

// collector accumulates objects from documents. It lives for one Load.
type collector struct {
	opts    Options
	limits  Limits
	objects objects
	warns   []Warning
	errs    []error
	total   int64
	// files counts the files under directories (for the limit); read
	// counts every file and stream whose content was decoded.
	files int
	read  int
}

func newCollector(opts Options) *collector {
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = "default"
	}
	return &collector{opts: opts, limits: opts.Limits.withDefaults(), objects: objects{sources: map[policy.PolicyRef]string{}}}
}

func (c *collector) warn(kind WarningKind, src source, format string, args ...any) {
	c.warns = append(c.warns, Warning{Kind: kind, File: src.file, Document: src.doc, Item: src.item, Message: fmt.Sprintf(format, args...)})
}

func (c *collector) fail(src source, err error) {
	c.errs = append(c.errs, &DocumentError{File: src.file, Document: src.doc, Item: src.item, Err: err})
}

func (c *collector) finish() (*Result, error) {
	if len(c.errs) > 0 {
		errs := c.errs
		if len(errs) > maxReportedErrors {
			errs = append(errs[:maxReportedErrors:maxReportedErrors], fmt.Errorf("and %d more malformed documents", len(c.errs)-maxReportedErrors))
		}
		return nil, errors.Join(errs...)
	}
	res := &Result{Snapshot: c.objects.snapshot(c), Warnings: c.warns, Sources: c.objects.sources, FilesRead: c.read}
	return res, nil
}

// addBytes splits one input into documents as kubectl does: YAML documents
// separated by "---" lines, where a part that starts with '{' or '[' is a
// stream of JSON values (one or more, each a document). So JSON objects may
// follow each other with or without "---" between them, and JSON and YAML
// documents may be mixed.
func (c *collector) addBytes(name string, data []byte) {
	c.read++
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")) // UTF-8 byte order mark
	// apimachinery's YAMLReader drops a final unterminated line whose
	// length is a multiple of its 4096-byte buffer (the line arrives with
	// io.EOF and is discarded): terminate the input so that cannot happen.
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data[:len(data):len(data)], '\n')
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 0; ; {
		raw, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			// The reader cannot resynchronise after a bad separator.
			c.fail(source{name, doc + 1, 0}, fmt.Errorf("splitting YAML documents: %w", err))
			return
		}
		if startsJSON(raw) {
			doc = c.addJSONStream(name, doc, raw)
			continue
		}
		doc++
		c.addYAMLDocument(source{name, doc, 0}, raw)
	}
}

// startsJSON reports whether data, past whitespace, opens a JSON object or
// array.
func startsJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// addJSONStream decodes the JSON values of one part, numbering them after
// doc; it returns the last document number used. Where JSON stops parsing,
// the rest of the part is one YAML document, as kubectl's YAMLOrJSONDecoder
// switches to YAML (a flow mapping such as {a: 1}, or YAML right after a
// JSON object); what is neither JSON nor YAML is invalid JSON.
func (c *collector) addJSONStream(name string, doc int, data []byte) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return doc
		}
		doc++
		src := source{name, doc, 0}
		if err != nil {
			rest := data[start:]
			if !startsJSON(rest) || yamlParses(rest, c.limits.MaxDocumentBytes) {
				c.addYAMLDocument(src, rest)
			} else {
				c.fail(src, fmt.Errorf("invalid JSON: %w", err))
			}
			return doc // the rest was one document
		}
		if dec.InputOffset()-start > int64(c.limits.MaxDocumentBytes) {
			c.fail(src, fmt.Errorf("document is more than the limit of %d bytes", c.limits.MaxDocumentBytes))
			continue
		}
		if !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
			c.fail(src, errors.New("a document must be a JSON object"))
			continue
		}
		if err := checkDepth(raw, c.limits.MaxDepth); err != nil {
			c.fail(src, err)
			continue
		}
		c.addObject(src, raw, nil, 0)
	}
}

// yamlParses reports whether raw, not too big, is valid YAML.
func yamlParses(raw []byte, max int) bool {
	if len(raw) > max {
		return false
	}
	_, err := yaml.YAMLToJSON(raw)
	return err == nil
}

func (c *collector) addYAMLDocument(src source, raw []byte) {
	if len(raw) > c.limits.MaxDocumentBytes {
		c.fail(src, fmt.Errorf("document is %d bytes, more than the limit of %d", len(raw), c.limits.MaxDocumentBytes))
		return
	}
	var issues []string
	j, strictErr := yaml.YAMLToJSONStrict(raw)
	if strictErr != nil {
		var err error
		if j, err = yaml.YAMLToJSON(raw); err != nil {
			c.fail(src, fmt.Errorf("invalid YAML: %w", err))
			return
		}
		issues = append(issues, strictErr.Error())
	}
	if t := bytes.TrimSpace(j); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return // only comments or whitespace
	}
	if len(j) > 4*c.limits.MaxDocumentBytes {
		c.fail(src, errors.New("document expands to too much data (YAML aliases?)"))
		return
	}
	if j[0] != '{' {
		c.fail(src, errors.New("a document must be a mapping (an object), not a list or a scalar"))
		return
	}
	if err := checkDepth(j, c.limits.MaxDepth); err != nil {
		c.fail(src, err)
		return
	}
	c.addObject(src, j, issues, 0)
}

// checkDepth rejects JSON nested deeper than max, before any typed decoding
// recurses into it.
func checkDepth(j []byte, max int) error {
	depth, inString, escaped := 0, false, false
	for _, b := range j {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch b {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
			if depth > max {
				return fmt.Errorf("document nests deeper than %d levels", max)
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return nil
}

// typeMeta is read first to dispatch on kind.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// addObject dispatches one object (a document, or an item of a List).
// issues are strictness problems already found (duplicate keys).
func (c *collector) addObject(src source, j []byte, issues []string, listDepth int) {
	var tm typeMeta
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &tm); err != nil {
		c.fail(src, fmt.Errorf("reading apiVersion and kind: %w", err))
		return
	}
	if tm.Kind == "" || tm.APIVersion == "" {
		if listDepth == 0 && !looksKubernetes(j) {
			c.warn(WarnNotKubernetes, src, "not a Kubernetes object (no apiVersion, kind or metadata): skipped")
			return
		}
		c.fail(src, fmt.Errorf("object has no %s", missingTypeMeta(tm)))
		return
	}
	if tm.Kind == "List" || strings.HasSuffix(tm.Kind, "List") {
		c.addList(src, tm, j, listDepth)
		return
	}
	k, ok := lookupKind(group(tm.APIVersion), tm.Kind)
	if !ok {
		if kind, ok := policyfetch.CiliumKind(group(tm.APIVersion), tm.Kind); ok {
			err := c.objects.addCilium(c, src, kind, j)
			if err == nil {
				return
			}
			c.warn(WarnOther, src, "%s: %v", tm.Kind, err)
		}
		if kind, ok := policyfetch.CalicoKind(group(tm.APIVersion), tm.Kind); ok {
			err := c.objects.addCalico(c, src, kind, j)
			if err == nil {
				return
			}
			c.warn(WarnOther, src, "%s (%s): %v", tm.Kind, tm.APIVersion, err)
		}
		if policyfetch.IsCalicoTier(group(tm.APIVersion), tm.Kind) {
			if err := c.objects.addCalicoTier(c, src, tm.APIVersion, j); err != nil {
				c.fail(src, err)
			}
			return
		}
		if uk, isPolicy, inTable := policyfetch.ClassifyKind(group(tm.APIVersion), tm.Kind); isPolicy {
			// Only the metadata is read; the spec is not evaluated.
			var meta metav1.PartialObjectMetadata
			if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &meta); err != nil {
				c.fail(src, fmt.Errorf("%s: %w", tm.Kind, err))
				return
			}
			if err := c.objects.addUnjudged(c, src, uk, inTable, tm.APIVersion, &meta.ObjectMeta); err != nil {
				c.fail(src, err)
			}
			return
		}
		if want, isPolicy := policyKindAPIVersion(tm.Kind); isPolicy {
			c.fail(src, fmt.Errorf("%s with apiVersion %q is not supported: use %s", tm.Kind, tm.APIVersion, want))
			return
		}
		c.warn(WarnSkippedKind, src, "%s (%s) skipped: not used by network policy analysis", tm.Kind, tm.APIVersion)
		return
	}
	if sameSchema(tm.APIVersion, tm.Kind) != k.apiVersion {
		if k.policy {
			c.fail(src, fmt.Errorf("%s with apiVersion %q is not supported: use %s", tm.Kind, tm.APIVersion, k.apiVersion))
			return
		}
		c.warn(WarnOther, src, "%s with apiVersion %q: decoded as %s", tm.Kind, tm.APIVersion, k.apiVersion)
	}
	obj := k.new()
	strictErrs, err := sigsjson.UnmarshalStrict(j, obj)
	if err != nil {
		c.fail(src, fmt.Errorf("%s: %w", tm.Kind, err))
		return
	}
	for _, e := range strictErrs {
		issues = append(issues, e.Error())
	}
	if len(issues) > 0 {
		msg := strings.Join(issues, "; ")
		// A misspelt field in a policy silently changes what it allows, and
		// kubectl's strict validation would reject it: fail.
		if k.policy {
			c.fail(src, fmt.Errorf("%s: %s", tm.Kind, msg))
			return
		}
		c.warn(WarnOther, src, "%s: %s (ignored)", tm.Kind, msg)
	}
	if err := c.objects.add(c, src, obj); err != nil {
		c.fail(src, err)
	}
}

// looksKubernetes reports whether an object has a key of a Kubernetes
// object (apiVersion, kind or metadata, in any case): one that has such a
// key but lacks apiVersion or kind is a malformed object, not some other
// file.
func looksKubernetes(j []byte) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(j, &m); err != nil {
		return true // not an object: let the caller report it
	}
	for k := range m {
		if strings.EqualFold(k, "apiVersion") || strings.EqualFold(k, "kind") || strings.EqualFold(k, "metadata") {
			return true
		}
	}
	return false
}

func missingTypeMeta(tm typeMeta) string {
	switch {
	case tm.Kind == "" && tm.APIVersion == "":
		return "apiVersion and no kind"
	case tm.Kind == "":
		return "kind"
	}
	return "apiVersion"
}

func (c *collector) addList(src source, tm typeMeta, j []byte, listDepth int) {
	if listDepth > 0 {
		c.fail(src, errors.New("a List inside a List is not supported"))
		return
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &list); err != nil {
		c.fail(src, fmt.Errorf("%s: %w", tm.Kind, err))
		return
	}
	// Typed lists (PodList, NetworkPolicyList, ...) may omit the items'
	// kind and apiVersion.
	itemKind := ""
	if tm.Kind != "List" {
		itemKind = strings.TrimSuffix(tm.Kind, "List")
	}
	for i, raw := range list.Items {
		item, isrc := []byte(raw), source{src.file, src.doc, i + 1}
		if itemKind != "" {
			var itm typeMeta
			if err := sigsjson.UnmarshalCaseSensitivePreserveInts(item, &itm); err != nil {
				c.fail(isrc, err)
				continue
			}
			if itm.Kind == "" || itm.APIVersion == "" {
				patched, err := withTypeMeta(item, cmp.Or(itm.APIVersion, tm.APIVersion), cmp.Or(itm.Kind, itemKind))
				if err != nil {
					c.fail(isrc, err)
					continue
				}
				item = patched
			}
		}
		c.addObject(isrc, item, nil, listDepth+1)
	}
}

// withTypeMeta sets apiVersion and kind on a JSON object.
func withTypeMeta(j []byte, apiVersion, kind string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(j, &m); err != nil || m == nil {
		return nil, errors.New("a list item must be an object")
	}
	av, _ := json.Marshal(apiVersion)
	k, _ := json.Marshal(kind)
	m["apiVersion"], m["kind"] = av, k
	return json.Marshal(m)
}

func group(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return "" // core: "v1"
}
