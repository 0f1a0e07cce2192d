package dns

import (
	"strings"
)

// ServerBlock is one server block of a Corefile: the zones it serves and its
// plugins in order.
type ServerBlock struct {
	Zones   []string
	Plugins []Plugin
}

// Plugin is one directive line of a server block, with its nested lines.
type Plugin struct {
	Name string
	Args []string
	Body []string
}

// Has reports whether the block enables a plugin.
func (b ServerBlock) Has(name string) (Plugin, bool) {
	for _, p := range b.Plugins {
		if p.Name == name {
			return p, true
		}
	}
	return Plugin{}, false
}

// ParseCorefile reads the subset of Caddyfile syntax that Corefiles use:
// server blocks `zones { ... }`, one directive per line, nested blocks for a
// directive's options, and # comments. Malformed input yields what could be
// read; the checks then report what they do not find.
func ParseCorefile(src string) []ServerBlock {
	var blocks []ServerBlock
	var cur *ServerBlock
	depth := 0
	for _, raw := range strings.Split(src, "\n") {
		line := raw
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) == 1 && f[0] == "}" {
			depth--
			if depth == 0 {
				cur = nil
			}
			continue
		}
		opens := f[len(f)-1] == "{"
		if opens {
			f = f[:len(f)-1]
		}
		switch {
		case depth == 0 && opens:
			blocks = append(blocks, ServerBlock{Zones: f})
			cur = &blocks[len(blocks)-1]
			depth = 1
		case depth == 1 && cur != nil && len(f) > 0:
			cur.Plugins = append(cur.Plugins, Plugin{Name: f[0], Args: f[1:]})
			if opens {
				depth++
			}
		case depth > 1 && cur != nil:
			if n := len(cur.Plugins); n > 0 && len(f) > 0 {
				cur.Plugins[n-1].Body = append(cur.Plugins[n-1].Body, strings.Join(f, " "))
			}
			if opens {
				depth++
			}
		}
	}
	return blocks
}

// ClusterDomain is the first zone of the kubernetes plugin that is not a
// reverse zone (cluster.local in most clusters).
func ClusterDomain(blocks []ServerBlock) string {
	for _, b := range blocks {
		k, ok := b.Has("kubernetes")
		if !ok {
			continue
		}
		zones := k.Args
		if len(zones) == 0 {
			zones = b.Zones
		}
		for _, z := range zones {
			z = strings.TrimSuffix(strings.TrimPrefix(z, "dns://"), ".")
			if i := strings.LastIndex(z, ":"); i > 0 {
				z = z[:i]
			}
			if z != "" && !strings.HasSuffix(z, "in-addr.arpa") && !strings.HasSuffix(z, "ip6.arpa") {
				return z
			}
		}
	}
	return ""
}
