package main

// The krew manifest template (plugins.yaml): its caveats are generated from
// the ClusterRoles of the README's RBAC section, so the permissions krew shows
// after install cannot drift from the README's; and the whole template is
// checked against the rules krew's validator and krew-index's review apply,
// so that a mistake fails `make lint` rather than a release.

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// errCaveatsOutdated is what -check says when the caveats differ from what
// the README's ClusterRoles give.
var errCaveatsOutdated = errors.New("the caveats of the krew manifest differ from the README's RBAC section: run make docs")

// Limits of krew-index review: a short description of a few words, text
// wrapped at 80 columns. Text lines sit 4 spaces deep in the manifest.
const (
	maxShortDescription = 50
	textIndent          = "    "
	maxTextLine         = 80 - len(textIndent)
)

// runManifest regenerates the manifest's caveats from the README (check:
// only compares) and checks the result against krew's rules.
func runManifest(manifestFile, readmeFile string, check bool) error {
	readme, err := os.ReadFile(readmeFile)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(manifestFile)
	if err != nil {
		return err
	}
	roles, err := readmeRoles(string(readme))
	if err != nil {
		return fmt.Errorf("%s: RBAC section: %w", readmeFile, err)
	}
	var m krewManifest
	if err := yaml.UnmarshalStrict(old, &m); err != nil {
		return fmt.Errorf("%s: not valid YAML for a krew manifest: %w", manifestFile, err)
	}
	doc, err := setCaveats(string(old), caveats(roles, m.Spec.Homepage))
	if err != nil {
		return fmt.Errorf("%s: %w", manifestFile, err)
	}
	if err := checkManifest([]byte(doc)); err != nil {
		return fmt.Errorf("%s: %w", manifestFile, err)
	}
	if doc == string(old) {
		return nil
	}
	if check {
		return errCaveatsOutdated
	}
	st, err := os.Stat(manifestFile)
	if err != nil {
		return err
	}
	return os.WriteFile(manifestFile, []byte(doc), st.Mode().Perm())
}

// krewManifest is krew's v1alpha2 Plugin, every field krew reads, so that a
// strict decode catches a misspelt field (krew itself ignores unknown ones).
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector *metav1.LabelSelector `json:"selector"`
			URI      string                `json:"uri"`
			Sha256   string                `json:"sha256"`
			Bin      string                `json:"bin"`
			Files    []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
		} `json:"platforms"`
	} `json:"spec"`
}

var (
	flagLike = regexp.MustCompile(`(^|\s)--?[a-z]`)
	knownOS  = map[string]bool{"linux": true, "darwin": true, "windows": true}
	knownCPU = map[string]bool{"amd64": true, "arm64": true, "386": true, "arm": true}
)

// checkManifest applies krew's validator rules that hold for the template
// (the rest need the rendered version and checksums: make krew-test) and
// krew-index's review rules for the texts.
func checkManifest(doc []byte) error {
	var m krewManifest
	if err := yaml.UnmarshalStrict(doc, &m); err != nil {
		return fmt.Errorf("not valid YAML for a krew manifest: %w", err)
	}
	var errs []string
	fail := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" {
		fail("apiVersion/kind %s/%s, want krew.googlecontainertools.github.com/v1alpha2/Plugin", m.APIVersion, m.Kind)
	}
	if m.Metadata.Name != "netdebug" {
		fail("metadata.name %q, want netdebug (the plugin is kubectl-netdebug, the manifest netdebug.yaml)", m.Metadata.Name)
	}
	if m.Spec.Version != "{{VERSION}}" {
		fail(`spec.version %q, want "{{VERSION}}" (hack/dist.sh puts the release version there)`, m.Spec.Version)
	}
	if s := m.Spec.ShortDescription; s == "" || len(s) > maxShortDescription || strings.Contains(s, "\n") {
		fail("shortDescription %q: want one line of at most %d characters", s, maxShortDescription)
	}
	if m.Spec.Description == "" {
		fail("no description")
	}
	// The description says what the plugin does and for whom, in prose: no
	// command or flag lists (the help and README have those).
	for _, l := range strings.Split(m.Spec.Description, "\n") {
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") || strings.HasPrefix(strings.TrimSpace(l), "- ") {
			fail("description line %q: an indented or listed line; krew-index wants prose, no command lists", l)
		}
		if flagLike.MatchString(l) {
			fail("description line %q names a flag; krew-index wants prose, no flag lists", l)
		}
	}
	for field, text := range map[string]string{"description": m.Spec.Description, "caveats": m.Spec.Caveats} {
		for _, l := range strings.Split(text, "\n") {
			if len(l) > maxTextLine {
				fail("%s line longer than %d characters (80 columns in the manifest): %q", field, maxTextLine, l)
			}
		}
	}
	if len(m.Spec.Platforms) == 0 {
		fail("no platforms")
	}
	seen := map[string]bool{}
	for i, p := range m.Spec.Platforms {
		if p.Selector == nil || len(p.Selector.MatchExpressions) > 0 {
			fail("platform %d: want a selector with matchLabels os and arch only", i)
			continue
		}
		os, arch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		if len(p.Selector.MatchLabels) != 2 || !knownOS[os] || !knownCPU[arch] {
			fail("platform %d: matchLabels %v, want exactly os and arch", i, p.Selector.MatchLabels)
			continue
		}
		key := os + "_" + arch
		if seen[key] {
			fail("platform %s listed twice (krew refuses overlapping selectors)", key)
		}
		seen[key] = true
		wantURI := "https://github.com/netdebug/kubectl-netdebug/releases/download/{{VERSION}}/kubectl-netdebug_{{VERSION}}_" + key + ".tar.gz"
		if p.URI != wantURI {
			fail("platform %s: uri %s, want %s", key, p.URI, wantURI)
		}
		if want := "{{SHA256_" + key + "}}"; p.Sha256 != want {
			fail("platform %s: sha256 %q, want %q", key, p.Sha256, want)
		}
		bin := "kubectl-netdebug"
		if os == "windows" {
			bin += ".exe"
		}
		if p.Bin != bin {
			fail("platform %s: bin %q, want %q", key, p.Bin, bin)
		}
		if len(p.Files) > 0 {
			fail("platform %s: files: the archives hold the binary at the top level, none to map", key)
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// setCaveats replaces the value of the manifest's `caveats: |` block with text.
func setCaveats(doc, text string) (string, error) {
	lines := strings.SplitAfter(doc, "\n")
	start := -1
	var indent string
	for i, l := range lines {
		if m := caveatsKey.FindStringSubmatch(strings.TrimRight(l, "\n")); m != nil {
			if start >= 0 {
				return "", errors.New("caveats: appears twice")
			}
			start, indent = i, m[1]
		}
	}
	if start < 0 {
		return "", errors.New("no `caveats: |` block to generate")
	}
	end := start + 1
	for end < len(lines) {
		l := strings.TrimRight(lines[end], "\n")
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, indent+" ") {
			break
		}
		end++
	}
	// Blank lines before the next key belong to the layout, not the text.
	for end > start+1 && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(indent + "  " + l + "\n")
	}
	return strings.Join(lines[:start+1], "") + b.String() + strings.Join(lines[end:], ""), nil
}

var caveatsKey = regexp.MustCompile(`^(\s*)caveats: \|$`)

// role is a ClusterRole of the README's RBAC section.
type role struct {
	name   string
	intro  string // the sentence before its YAML block, without the colon
	groups []ruleGroup
}

// ruleGroup is a run of rules under one comment of the README's YAML (none
// for the rules before the first comment).
type ruleGroup struct {
	note  string
	rules []rule
}

type rule struct {
	rbacv1.PolicyRule
	optional bool   // commented out in the README: grant it for the feature the note names
	note     string // the rule's inline comment
}

// readmeRoles reads the ClusterRoles of the README's "## RBAC" section: each
// ```yaml block with kind ClusterRole, with the comments of its rules.
func readmeRoles(readme string) ([]role, error) {
	lines := strings.Split(readme, "\n")
	in := -1
	for i, l := range lines {
		if l == "## RBAC" {
			in = i + 1
			break
		}
	}
	if in < 0 {
		return nil, errors.New("no `## RBAC` section")
	}
	var roles []role
	var para []string // the last paragraph of text
	blank := false
	for i := in; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "## ") {
			break
		}
		if strings.HasPrefix(l, "```") {
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(lines[j], "```") {
				j++
			}
			if j == len(lines) {
				return nil, fmt.Errorf("code block at line %d has no end", i+1)
			}
			if l == "```yaml" {
				r, err := parseRole(strings.Join(lines[i+1:j], "\n"), lastSentence(para))
				if err != nil {
					return nil, fmt.Errorf("YAML block at line %d: %w", i+1, err)
				}
				if r != nil {
					roles = append(roles, *r)
				}
			}
			i, para = j, nil
			continue
		}
		if strings.TrimSpace(l) == "" {
			blank = true
			continue
		}
		if blank {
			para, blank = nil, false
		}
		para = append(para, strings.TrimSpace(l))
	}
	if len(roles) == 0 {
		return nil, errors.New("no ClusterRole in a ```yaml block")
	}
	return roles, nil
}

// lastSentence is the paragraph's last sentence without its colon: what the
// README says the block below it is for.
func lastSentence(para []string) string {
	s := strings.Join(para, " ")
	if i := strings.LastIndex(s, ". "); i >= 0 {
		s = s[i+2:]
	}
	return strings.TrimSuffix(strings.TrimSpace(s), ":")
}

var (
	commentedYAML = regexp.MustCompile(`^# (- |  )\S`) // "# - apiGroups", "#   verbs"
	inlineComment = regexp.MustCompile(`\s+#\s*(.*)$`)
)

// parseRole reads one YAML block: nil when it is no ClusterRole. The rules
// are read line by line to keep their comments, then compared with a strict
// decode of the whole block, so a line the reader misunderstood fails here.
func parseRole(block, intro string) (*role, error) {
	var cr rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict([]byte(block), &cr); err != nil {
		return nil, err
	}
	if cr.Kind != "ClusterRole" {
		return nil, nil
	}
	if cr.Name == "" {
		return nil, errors.New("a ClusterRole without metadata.name")
	}
	if intro == "" {
		return nil, fmt.Errorf("ClusterRole %s: no sentence before it says what it is for", cr.Name)
	}
	r := &role{name: cr.Name, intro: intro}
	lines := strings.Split(block, "\n")
	i := 0
	for i < len(lines) && lines[i] != "rules:" {
		i++
	}
	if i == len(lines) {
		return nil, fmt.Errorf("ClusterRole %s: no `rules:` line", cr.Name)
	}
	var (
		group   *ruleGroup
		item    []string // YAML lines of the rule being read
		opt     bool
		note    []string
		active  []rbacv1.PolicyRule
		pending []string // comment lines not yet attached
	)
	flush := func() error {
		if item == nil {
			return nil
		}
		var pr rbacv1.PolicyRule
		if err := yaml.UnmarshalStrict([]byte(strings.Join(item, "\n")), &pr); err != nil {
			return fmt.Errorf("ClusterRole %s: rule %q: %w", cr.Name, strings.Join(item, " "), err)
		}
		if group == nil {
			r.groups = append(r.groups, ruleGroup{})
			group = &r.groups[len(r.groups)-1]
		}
		group.rules = append(group.rules, rule{PolicyRule: pr, optional: opt, note: strings.Join(note, "; ")})
		if !opt {
			active = append(active, pr)
		}
		item, note = nil, nil
		return nil
	}
	for _, l := range lines[i+1:] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		commented := commentedYAML.MatchString(l)
		if strings.HasPrefix(l, "#") && !commented {
			if err := flush(); err != nil {
				return nil, err
			}
			pending = append(pending, strings.TrimSpace(strings.TrimPrefix(l, "#")))
			continue
		}
		if len(pending) > 0 {
			r.groups = append(r.groups, ruleGroup{note: strings.Join(pending, " ")})
			group, pending = &r.groups[len(r.groups)-1], nil
		}
		if commented {
			l = strings.TrimPrefix(l, "# ")
		}
		if m := inlineComment.FindStringSubmatchIndex(l); m != nil {
			note = append(note, l[m[2]:m[3]])
			l = l[:m[0]]
		}
		if strings.HasPrefix(l, "- ") {
			if err := flush(); err != nil {
				return nil, err
			}
			opt = commented
			item = []string{"  " + l[2:]}
			continue
		}
		if item == nil || !strings.HasPrefix(l, "  ") || commented != opt {
			return nil, fmt.Errorf("ClusterRole %s: line %q belongs to no rule", cr.Name, l)
		}
		item = append(item, l)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("ClusterRole %s: comment %q after the last rule", cr.Name, strings.Join(pending, " "))
	}
	if !reflect.DeepEqual(active, cr.Rules) {
		return nil, fmt.Errorf("ClusterRole %s: read %d rules line by line, the YAML has %d (or they differ): keep one rule per `- ` item", cr.Name, len(active), len(cr.Rules))
	}
	return r, nil
}

// caveats is the text krew prints after install: what the user must grant.
// The README's comments become the text's, without Markdown's backticks.
func caveats(roles []role, homepage string) string {
	var b strings.Builder
	var names []string
	for _, r := range roles {
		names = append(names, r.name)
	}
	b.WriteString(wrap("netdebug acts with your kubeconfig's credentials. A step they do not allow is skipped, naming the missing verb and resource; the rest of the diagnosis still runs. Grant what you need; the README has these as ClusterRoles ("+strings.Join(names, " and ")+"): "+homepage+"#rbac", maxTextLine, "", ""))
	for _, r := range roles {
		b.WriteString("\n")
		b.WriteString(wrap(r.intro+" ("+r.name+"):", maxTextLine, "", ""))
		for _, g := range r.groups {
			if g.note != "" {
				b.WriteString(wrap(plain(g.note), maxTextLine, "  ", "  "))
			}
			for _, ru := range g.rules {
				b.WriteString(wrap(ruleLine(ru), maxTextLine, "  ", "      "))
			}
		}
	}
	return b.String()
}

func plain(s string) string { return strings.ReplaceAll(s, "`", "") }

// ruleLine: "- get, list: endpointslices (discovery.k8s.io)", then
// "(optional)" and ", for <the rule's comment>".
func ruleLine(r rule) string {
	var groups []string
	for _, g := range r.APIGroups {
		if g != "" {
			groups = append(groups, g)
		}
	}
	s := "- " + strings.Join(r.Verbs, ", ") + ": " + strings.Join(r.Resources, ", ")
	if len(groups) > 0 {
		s += " (" + strings.Join(groups, ", ") + ")"
	}
	if r.optional {
		s += " (optional)"
	}
	if r.note != "" {
		s += ", for " + plain(r.note)
	}
	return s
}

// wrap breaks s into lines of at most width characters, the first after
// first, the others after indent (nothing is cut: a word longer than the
// line stands alone).
func wrap(s string, width int, first, indent string) string {
	var b strings.Builder
	line, fresh := first, true
	for _, w := range strings.Fields(s) {
		switch {
		case fresh:
			line += w
			fresh = false
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			b.WriteString(line + "\n")
			line = indent + w
		}
	}
	b.WriteString(line + "\n")
	return b.String()
}
