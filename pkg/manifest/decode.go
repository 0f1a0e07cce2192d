package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

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
	return &collector{opts: opts, limits: opts.Limits.withDefaults(), objects: newObjects()}
}

func (c *collector) warn(file string, doc, item int, format string, args ...any) {
	c.warns = append(c.warns, Warning{File: file, Document: doc, Item: item, Message: fmt.Sprintf(format, args...)})
}

func (c *collector) fail(file string, doc, item int, err error) {
	c.errs = append(c.errs, &DocumentError{File: file, Document: doc, Item: item, Err: err})
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

// addBytes splits one file into documents: a stream of JSON values when the
// content starts with '{', YAML documents separated by "---" otherwise.
func (c *collector) addBytes(name string, data []byte) error {
	c.read++
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")) // UTF-8 byte order mark
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		c.addJSONStream(name, trimmed)
		return nil
	}
	// apimachinery's YAMLReader drops a final unterminated line whose
	// length is a multiple of its 4096-byte buffer (the line arrives with
	// io.EOF and is discarded): terminate the input so that cannot happen.
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data[:len(data):len(data)], '\n')
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 1; ; doc++ {
		raw, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// The reader cannot resynchronise after a bad separator.
			c.fail(name, doc, 0, fmt.Errorf("splitting YAML documents: %w", err))
			return nil
		}
		if len(raw) > c.limits.MaxDocumentBytes {
			c.fail(name, doc, 0, fmt.Errorf("document is %d bytes, more than the limit of %d", len(raw), c.limits.MaxDocumentBytes))
			continue
		}
		c.addYAMLDocument(name, doc, raw)
	}
}

func (c *collector) addJSONStream(name string, data []byte) {
	dec := json.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return
		}
		if err != nil {
			// A JSON stream cannot resynchronise after a syntax error.
			c.fail(name, doc, 0, fmt.Errorf("invalid JSON: %w", err))
			return
		}
		if dec.InputOffset()-start > int64(c.limits.MaxDocumentBytes) {
			c.fail(name, doc, 0, fmt.Errorf("document is more than the limit of %d bytes", c.limits.MaxDocumentBytes))
			continue
		}
		if !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
			c.fail(name, doc, 0, errors.New("a document must be a JSON object"))
			continue
		}
		if err := checkDepth(raw, c.limits.MaxDepth); err != nil {
			c.fail(name, doc, 0, err)
			continue
		}
		c.addObject(name, doc, 0, raw, nil, 0)
	}
}

func (c *collector) addYAMLDocument(name string, doc int, raw []byte) {
	var issues []string
	j, strictErr := yaml.YAMLToJSONStrict(raw)
	if strictErr != nil {
		var err error
		if j, err = yaml.YAMLToJSON(raw); err != nil {
			c.fail(name, doc, 0, fmt.Errorf("invalid YAML: %w", err))
			return
		}
		issues = append(issues, strictErr.Error())
	}
	if t := bytes.TrimSpace(j); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return // only comments or whitespace
	}
	if len(j) > 4*c.limits.MaxDocumentBytes {
		c.fail(name, doc, 0, errors.New("document expands to too much data (YAML aliases?)"))
		return
	}
	if j[0] != '{' {
		c.fail(name, doc, 0, errors.New("a document must be a mapping (an object), not a list or a scalar"))
		return
	}
	if err := checkDepth(j, c.limits.MaxDepth); err != nil {
		c.fail(name, doc, 0, err)
		return
	}
	c.addObject(name, doc, 0, j, issues, 0)
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
func (c *collector) addObject(name string, doc, item int, j []byte, issues []string, listDepth int) {
	var tm typeMeta
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &tm); err != nil {
		c.fail(name, doc, item, fmt.Errorf("reading apiVersion and kind: %w", err))
		return
	}
	if tm.Kind == "" {
		c.fail(name, doc, item, errors.New("object has no kind"))
		return
	}
	if tm.Kind == "List" || strings.HasSuffix(tm.Kind, "List") {
		c.addList(name, doc, tm, j, listDepth)
		return
	}
	k, ok := lookupKind(group(tm.APIVersion), tm.Kind)
	if !ok {
		if kind, ok := policyfetch.CiliumKind(group(tm.APIVersion), tm.Kind); ok {
			if err := c.objects.addCilium(c, source{file: name, doc: doc, item: item}, kind, j); err == nil {
				return
			} else {
				c.warn(name, doc, item, "%s: %v", tm.Kind, err)
			}
		}
		if kind, ok := policyfetch.CalicoKind(group(tm.APIVersion), tm.Kind); ok {
			if err := c.objects.addCalico(c, source{file: name, doc: doc, item: item}, kind, j); err == nil {
				return
			} else {
				c.warn(name, doc, item, "%s (%s): %v", tm.Kind, tm.APIVersion, err)
			}
		}
		if policyfetch.IsCalicoTier(group(tm.APIVersion), tm.Kind) {
			if err := c.objects.addCalicoTier(c, source{file: name, doc: doc, item: item}, tm.APIVersion, j); err != nil {
				c.fail(name, doc, item, err)
			}
			return
		}
		if uk, isPolicy, inTable := policyfetch.ClassifyKind(group(tm.APIVersion), tm.Kind); isPolicy {
			// Only the metadata is read; the spec is not evaluated.
			var meta metav1.PartialObjectMetadata
			if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &meta); err != nil {
				c.fail(name, doc, item, fmt.Errorf("%s: %w", tm.Kind, err))
				return
			}
			if err := c.objects.addUnjudged(c, source{file: name, doc: doc, item: item}, uk, inTable, tm.APIVersion, &meta.ObjectMeta); err != nil {
				c.fail(name, doc, item, err)
			}
			return
		}
		if want, isPolicy := policyKindAPIVersion(tm.Kind); isPolicy {
			c.fail(name, doc, item, fmt.Errorf("%s with apiVersion %q is not supported: use %s", tm.Kind, tm.APIVersion, want))
			return
		}
		c.warn(name, doc, item, "%s (%s) skipped: not used by network policy analysis", tm.Kind, tm.APIVersion)
		return
	}
	if sameSchema(tm.APIVersion, tm.Kind) != k.apiVersion {
		if k.policy {
			c.fail(name, doc, item, fmt.Errorf("%s with apiVersion %q is not supported: use %s", tm.Kind, tm.APIVersion, k.apiVersion))
			return
		}
		c.warn(name, doc, item, "%s with apiVersion %q: decoded as %s", tm.Kind, tm.APIVersion, k.apiVersion)
	}
	obj := k.new()
	strictErrs, err := sigsjson.UnmarshalStrict(j, obj)
	if err != nil {
		c.fail(name, doc, item, fmt.Errorf("%s: %w", tm.Kind, err))
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
			c.fail(name, doc, item, fmt.Errorf("%s: %s", tm.Kind, msg))
			return
		}
		c.warn(name, doc, item, "%s: %s (ignored)", tm.Kind, msg)
	}
	if err := c.objects.add(c, source{file: name, doc: doc, item: item}, obj); err != nil {
		c.fail(name, doc, item, err)
	}
}

func (c *collector) addList(name string, doc int, tm typeMeta, j []byte, listDepth int) {
	if listDepth > 0 {
		c.fail(name, doc, 0, errors.New("a List inside a List is not supported"))
		return
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &list); err != nil {
		c.fail(name, doc, 0, fmt.Errorf("%s: %w", tm.Kind, err))
		return
	}
	// Typed lists (PodList, NetworkPolicyList, ...) may omit the items'
	// kind and apiVersion.
	itemKind := ""
	if tm.Kind != "List" {
		itemKind = strings.TrimSuffix(tm.Kind, "List")
	}
	for i, raw := range list.Items {
		item := []byte(raw)
		if itemKind != "" {
			var itm typeMeta
			if err := sigsjson.UnmarshalCaseSensitivePreserveInts(item, &itm); err != nil {
				c.fail(name, doc, i+1, err)
				continue
			}
			if itm.Kind == "" || itm.APIVersion == "" {
				patched, err := withTypeMeta(item, cmpOr(itm.APIVersion, tm.APIVersion), cmpOr(itm.Kind, itemKind))
				if err != nil {
					c.fail(name, doc, i+1, err)
					continue
				}
				item = patched
			}
		}
		c.addObject(name, doc, i+1, item, nil, listDepth+1)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
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
