package cnidetect

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Support says how sure it is that a plugin enforces a policy API.
type Support string

const (
	// SupportYes: the plugin enforces the API (in the version read, when
	// support depends on the version).
	SupportYes Support = "yes"
	// SupportByVersion: some versions of the plugin do; its version could
	// not be read. The note says which.
	SupportByVersion Support = "by version"
	// SupportBySetting: the plugin does when a setting (a feature gate, a
	// flag) is on, and the DaemonSet does not show it. The note says which.
	SupportBySetting Support = "by setting"
	// SupportUnknown: the plugin's documentation does not settle it.
	SupportUnknown Support = "unknown"
)

// PolicyAPI is a policy API an agent enforces.
type PolicyAPI struct {
	// Group and Kind name the API: "cilium.io", "CiliumNetworkPolicy".
	Group   string  `json:"group"`
	Kind    string  `json:"kind"`
	Support Support `json:"support"`
	// Note says what support depends on or what showed it, e.g. "feature
	// gate AdminNetworkPolicy", "calico v3.29 to v3.31", "flag
	// --admin-network-policy".
	Note string `json:"note,omitempty"`
}

// Name is the Kind, qualified by its group (Kind.group, as
// schema.GroupKind prints it) outside the Kubernetes groups:
// "AdminNetworkPolicy", "NetworkPolicy.projectcalico.org".
func (p PolicyAPI) Name() string {
	switch p.Group {
	case "", "networking.k8s.io", "policy.networking.k8s.io":
		return p.Kind
	}
	return p.Kind + "." + p.Group
}

// String is Name, followed by how sure it is unless it is enforced:
// "AdminNetworkPolicy (by setting: feature gate AdminNetworkPolicy)".
func (p PolicyAPI) String() string {
	if p.Support == SupportYes {
		return p.Name()
	}
	if p.Note == "" {
		return fmt.Sprintf("%s (%s)", p.Name(), p.Support)
	}
	return fmt.Sprintf("%s (%s: %s)", p.Name(), p.Support, p.Note)
}

// policyAPIRule is one line of a plugin's policy API knowledge in
// knownAgents.
type policyAPIRule struct {
	group, kind string
	// support is what holds when none of the switches below is seen on the
	// agent: SupportYes, SupportByVersion, SupportBySetting or
	// SupportUnknown, with note saying on what; "" means the API is
	// enforced only when a switch is seen.
	support Support
	note    string
	// since and until bound the plugin versions ("major.minor", both
	// included; "" unbounded) that enforce the API.
	since, until string
	// Switches that turn the API on or off on the agent's containers: a
	// boolean flag (without dashes), an environment variable set to
	// "true", an image tag suffix. Any seen on wins; else any seen off
	// drops the API.
	flag, env, tagSuffix string
}

type switchState int

const (
	switchUnseen switchState = iota
	switchOn
	switchOff
)

// resolvePolicyAPIs applies the rules of a plugin to what its DaemonSet
// shows: its version ("" unknown) and its containers.
func resolvePolicyAPIs(plugin string, rules []policyAPIRule, version string, containers []corev1.Container) []PolicyAPI {
	var apis []PolicyAPI
	for _, r := range rules {
		if version != "" && !inVersions(version, r.since, r.until) {
			continue
		}
		api := PolicyAPI{Group: r.group, Kind: r.kind, Support: r.support, Note: r.note}
		state, evidence := r.switchState(containers)
		switch {
		case state == switchOn:
			api.Support, api.Note = SupportYes, evidence
		case state == switchOff || r.support == "":
			continue
		case version == "" && (r.since != "" || r.until != ""):
			if api.Support == SupportYes {
				api.Support = SupportByVersion
			}
			api.Note = joinNotes(api.Note, plugin+" "+versionRange(r.since, r.until))
		}
		apis = append(apis, api)
	}
	return apis
}

func (r policyAPIRule) switchState(containers []corev1.Container) (switchState, string) {
	state, evidence := switchUnseen, ""
	seen := func(s switchState, what string) {
		if s == switchOn || state == switchUnseen {
			state, evidence = s, what
		}
	}
	for _, c := range containers {
		if r.flag != "" {
			if v, ok := boolFlag(c, r.flag); ok {
				seen(onOff(v), "flag --"+r.flag)
			}
		}
		if r.env != "" {
			for _, e := range c.Env {
				if e.Name == r.env && e.ValueFrom == nil {
					seen(onOff(e.Value == "true"), "env "+r.env+"="+e.Value)
				}
			}
		}
		if r.tagSuffix != "" {
			if _, tag := splitImage(c.Image); strings.HasSuffix(tag, r.tagSuffix) {
				seen(switchOn, "image tag "+tag)
			}
		}
		if state == switchOn {
			break
		}
	}
	return state, evidence
}

func onOff(on bool) switchState {
	if on {
		return switchOn
	}
	return switchOff
}

// boolFlag reads a boolean flag from a container's command and args, as Go
// and pflag parse it: -name, --name, -name=value, --name=value.
func boolFlag(c corev1.Container, name string) (value, found bool) {
	for _, arg := range append(append([]string{}, c.Command...), c.Args...) {
		a := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
		if a == arg { // not a flag
			continue
		}
		if a == name {
			value, found = true, true
			continue
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			if b, err := strconv.ParseBool(v); err == nil {
				value, found = b, true
			}
		}
	}
	return value, found
}

// mergePolicyAPIs lists the APIs enforced by any agent, once each, keeping
// the surest support; in the agents' order.
func mergePolicyAPIs(agents []Agent) []string {
	rank := map[Support]int{SupportYes: 4, SupportBySetting: 3, SupportByVersion: 2, SupportUnknown: 1}
	var order []string
	best := map[string]PolicyAPI{}
	for _, a := range agents {
		for _, api := range a.PolicyAPIs {
			key := api.Group + "/" + api.Kind
			prev, ok := best[key]
			if !ok {
				order = append(order, key)
			}
			if !ok || rank[api.Support] > rank[prev.Support] {
				best[key] = api
			}
		}
	}
	var names []string
	for _, key := range order {
		names = append(names, best[key].String())
	}
	return names
}

// imageVersion reads the plugin's version ("3.30") from the tag of the first
// container whose image is one of images; "" when none is, or its tag is not
// a version.
func imageVersion(containers []corev1.Container, images []string) string {
	for _, c := range containers {
		repo, tag := splitImage(c.Image)
		for _, img := range images {
			if repo == img || strings.HasSuffix(repo, "/"+img) {
				if major, minor, ok := parseVersion(tag); ok {
					return fmt.Sprintf("%d.%d", major, minor)
				}
			}
		}
	}
	return ""
}

// splitImage splits an image reference into repository and tag, dropping
// any digest: "quay.io/calico/node:v3.30.2" -> "quay.io/calico/node", "v3.30.2".
func splitImage(image string) (repo, tag string) {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i], image[i+1:]
	}
	return image, ""
}

// parseVersion reads "major.minor" from "v3.30.2", "3.30", "v1.1.1-npa-v1alpha2".
func parseVersion(s string) (major, minor int, ok bool) {
	s = strings.TrimPrefix(s, "v")
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, false
	}
	digits := strings.IndexFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
	if digits == -1 {
		digits = len(parts[1])
	}
	minor, err = strconv.Atoi(parts[1][:digits])
	if err != nil {
		return 0, 0, false
	}
	return major, minor, true
}

// inVersions says whether version ("major.minor") is within since..until,
// both included; an empty bound is open.
func inVersions(version, since, until string) bool {
	vMaj, vMin, ok := parseVersion(version)
	if !ok {
		return true
	}
	if maj, min, ok := parseVersion(since); ok && (vMaj < maj || vMaj == maj && vMin < min) {
		return false
	}
	if maj, min, ok := parseVersion(until); ok && (vMaj > maj || vMaj == maj && vMin > min) {
		return false
	}
	return true
}

func versionRange(since, until string) string {
	switch {
	case since != "" && until != "":
		return "v" + since + " to v" + until
	case since != "":
		return "v" + since + "+"
	}
	return "up to v" + until
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}
