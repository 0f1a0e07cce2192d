package probe

import (
	"context"
	"errors"
	"sort"
	"strings"
)

// Toolset is what a container offers for probing: each usable tool and the
// argv prefix that runs it (["nc"], or ["busybox", "nc"] when only the
// busybox binary is there without applet links).
type Toolset struct {
	Shell bool
	tools map[string][]string
	// busyboxNC: nc is busybox's, which has no -z and connects with -w.
	busyboxNC bool
	// dfPing: ping is not busybox's (iputils), so it can set the DF bit
	// (-M do) and report the MTU of the hop that refuses a packet.
	dfPing bool
}

// tools worth looking for, in the order probes prefer them.
var wanted = []string{"ping", "nc", "bash", "nslookup", "dig", "getent", "ip", "ifconfig", "cat", "timeout", "tcpdump"}

// detectScript lists the wanted tools with their resolved paths, and the
// busybox applets when a busybox binary is present. It needs only a POSIX sh.
const detectScript = `for t in ping nc bash nslookup dig getent ip ifconfig cat timeout tcpdump; do
  p=$(command -v "$t" 2>/dev/null) || continue
  l=$(readlink -f "$p" 2>/dev/null || echo "$p")
  echo "tool $t $l"
done
if command -v nc >/dev/null 2>&1 && nc --help 2>&1 | grep -qi busybox; then echo "ncflavor busybox"; fi
if command -v ping >/dev/null 2>&1 && ping --help 2>&1 | grep -qi busybox; then echo "pingflavor busybox"; fi
if b=$(command -v busybox 2>/dev/null); then echo "busybox $b"; busybox --list 2>/dev/null | sed 's/^/applet /'; fi`

// Detect finds the tools of the container behind r. A container without a
// shell is tried for a bare busybox; a container with neither has no tools,
// which is not an error: the caller falls back to static checks.
func Detect(ctx context.Context, r Runner) (Toolset, error) {
	out, err := r.Run(ctx, []string{"sh", "-c", detectScript})
	if errors.Is(err, ErrNotFound) {
		out, err = r.Run(ctx, []string{"busybox", "--list"})
		if errors.Is(err, ErrNotFound) {
			return Toolset{tools: map[string][]string{}}, nil
		}
		if err != nil {
			return Toolset{}, err
		}
		return parseTools("busybox busybox\n"+prefixLines(out.Stdout, "applet "), false), nil
	}
	if err != nil {
		return Toolset{}, err
	}
	return parseTools(out.Stdout, true), nil
}

func prefixLines(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			b.WriteString(prefix + l + "\n")
		}
	}
	return b.String()
}

func parseTools(out string, shell bool) Toolset {
	ts := Toolset{Shell: shell, tools: map[string][]string{}}
	var busybox string
	busyboxPing := false
	applets := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "tool":
			if len(f) == 3 {
				ts.tools[f[1]] = []string{f[1]}
				if f[1] == "nc" && strings.HasSuffix(f[2], "busybox") {
					ts.busyboxNC = true
				}
				// busybox sh names an applet by its bare name: the
				// pingflavor line tells busybox's ping
				if f[1] == "ping" && !strings.HasSuffix(f[2], "busybox") {
					ts.dfPing = true
				}
			}
		case "ncflavor":
			ts.busyboxNC = f[1] == "busybox"
		case "pingflavor":
			busyboxPing = f[1] == "busybox"
		case "busybox":
			busybox = f[1]
		case "applet":
			applets[f[1]] = true
		}
	}
	if busyboxPing {
		ts.dfPing = false
	}
	if busybox != "" {
		for _, t := range wanted {
			if _, ok := ts.tools[t]; !ok && applets[t] {
				ts.tools[t] = []string{busybox, t}
				if t == "nc" {
					ts.busyboxNC = true
				}
			}
		}
	}
	return ts
}

// Has reports whether tool is usable.
func (t Toolset) Has(tool string) bool { _, ok := t.tools[tool]; return ok }

// Names lists the usable tools, sorted.
func (t Toolset) Names() []string {
	names := make([]string, 0, len(t.tools))
	for n := range t.tools {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CanProbe: enough to tell reachability (ping or a TCP connect).
func (t Toolset) CanProbe() bool {
	return t.Has("ping") || t.Has("nc") || t.Has("bash")
}

// argv builds the command line for tool.
func (t Toolset) argv(tool string, args ...string) []string {
	return append(append([]string{}, t.tools[tool]...), args...)
}

// NewToolset is a toolset of the named tools, each run by its bare name
// (nc is not busybox's): for the fake probe sessions of tests.
func NewToolset(shell bool, names ...string) Toolset {
	ts := Toolset{Shell: shell, tools: map[string][]string{}}
	for _, n := range names {
		ts.tools[n] = []string{n}
	}
	return ts
}
