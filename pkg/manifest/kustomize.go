package manifest

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// LoadKustomization builds the kustomization in dir as kubectl apply -k does
// (kustomize's krusty with kubectl's options: plugins disabled, files only
// from under each kustomization's root, legacy resource order) and decodes
// its output as Load decodes a file: the objects are documents of
// "kustomize build DIR", numbered in output order, FilesRead is 1.
//
// Nothing is fetched. kustomize downloads any http(s) URL it is asked to
// read and clones any repository URL given as a base, and krusty has no
// option to stop it; so the kustomization is checked first (offlineCheck)
// and one that names a remote location is refused before the build.
func LoadKustomization(dir string, opts Options) (*Result, error) {
	c := newCollector(opts)
	name := "kustomize build " + dir
	if looksRemote(dir) {
		return nil, fmt.Errorf("%s: a remote kustomization: only local directories are built (nothing is fetched)", name)
	}
	oc := offlineCheck{seen: map[string]bool{}, maxBytes: c.limits.MaxFileBytes}
	if err := oc.kustomization(dir); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out, err := build(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	data, err := c.readLimited(name, bytes.NewReader(out))
	if err != nil {
		return nil, err
	}
	c.addBytes(name, data)
	return c.finish()
}

// build runs kustomize as kubectl's KustomizeVisitor does (k8s.io/cli-runtime
// pkg/resource). A panic in kustomize on odd input becomes an error.
func build(dir string) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize failed: %v", r)
		}
	}()
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// offlineCheck finds what a build would fetch over the network. It reads the
// kustomization file of a directory, those of the local bases and
// components it names (recursively), and the generator, transformer and
// validator configurations it names or holds inline, and refuses any
// one-line string that looks remote (looksRemote), wherever it is, except
// under keys holding only data that kustomize never loads (roleData:
// labels, annotations, images, configMap literals, inline patches). Unknown
// and future fields are checked too: a false alarm refuses a build, a miss
// would fetch. What it cannot parse is refused: kustomize's parser might
// read it.
type offlineCheck struct {
	seen     map[string]bool
	maxBytes int64
}

// keyRole is what the strings under a key of a kustomization are.
type keyRole int

const (
	roleOther  keyRole = iota // checked for remote locations
	roleData                  // never loaded by kustomize: not checked
	roleBase                  // local directories (bases, components) or resource files
	rolePlugin                // plugin configurations: files, directories or inline YAML
)

func roleOf(key string) keyRole {
	switch key {
	case "labels", "commonLabels", "annotations", "commonAnnotations", "literals", "patch", "images":
		return roleData
	case "resources", "bases", "components":
		return roleBase
	case "generators", "transformers", "validators":
		return rolePlugin
	}
	return roleOther
}

func (oc *offlineCheck) kustomization(dir string) error {
	// Resolved, so that a link back up cannot loop.
	canon, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil // kustomize reports it
	}
	if canon, err = filepath.Abs(canon); err != nil || oc.seen[canon] {
		return err
	}
	oc.seen[canon] = true
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		file := filepath.Join(dir, name)
		if _, err := os.Stat(file); err == nil {
			return oc.file(file, dir)
		}
	}
	return nil // kustomize says what it looked for
}

// file checks a kustomization or plugin configuration file; paths in it are
// relative to root, the kustomization's directory.
func (oc *offlineCheck) file(file, root string) error {
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	if info.Size() > oc.maxBytes {
		return fmt.Errorf("%s: file is %d bytes, more than the limit of %d", file, info.Size(), oc.maxBytes)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return oc.yaml(file, root, data)
}

// yaml checks every document of data.
func (oc *offlineCheck) yaml(file, root string, data []byte) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(append(data[:len(data):len(data)], '\n'))))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return nil
		}
		var v any
		if err == nil {
			err = yaml.Unmarshal(doc, &v)
		}
		if err != nil {
			return fmt.Errorf("%s: cannot be checked for remote locations: %w", file, err)
		}
		if err := oc.value(file, root, "", v); err != nil {
			return err
		}
	}
}

// value checks v, found under key.
func (oc *offlineCheck) value(file, root, key string, v any) error {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if roleOf(k) == roleData {
				continue
			}
			if err := oc.value(file, root, k, v[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, x := range v {
			if err := oc.value(file, root, key, x); err != nil {
				return err
			}
		}
	case string:
		return oc.location(file, root, key, v)
	}
	return nil
}

// location checks a string: a remote location fails, a local base or plugin
// configuration is checked in turn.
func (oc *offlineCheck) location(file, root, key, s string) error {
	role := roleOf(key)
	if strings.Contains(s, "\n") { // inline content, not a location
		if role == rolePlugin {
			return oc.yaml(file, root, []byte(s))
		}
		return nil
	}
	if looksRemote(s) {
		return fmt.Errorf("%s: %s: %q is a remote location: nothing is fetched; copy it next to the kustomization", file, cmp.Or(key, "value"), s)
	}
	if role != roleBase && role != rolePlugin {
		return nil
	}
	p := filepath.Join(root, s)
	info, err := os.Stat(p)
	switch {
	case err != nil:
		return nil // kustomize reports it
	case info.IsDir():
		return oc.kustomization(p)
	case role == rolePlugin:
		return oc.file(p, root)
	}
	return nil // a resource file: objects, not locations
}

// looksRemote reports whether kustomize could fetch s: an http(s) URL it
// downloads, or a repository it clones (git.NewRepoSpecFromURL takes
// "scheme://...", "user@host:path" and "github.com/..."). It errs on the
// side of remote: any "://", "git::" prefix or "user@" prefix.
func looksRemote(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.Contains(s, "://") || strings.HasPrefix(s, "git::") || strings.HasPrefix(s, "github.com/") || strings.HasPrefix(s, "github.com:") {
		return true
	}
	user, _, found := strings.Cut(s, "@")
	return found && user != "" && strings.Trim(user, "abcdefghijklmnopqrstuvwxyz0123456789-") == "" && user[0] >= 'a' && user[0] <= 'z'
}
