package dns

import (
	"strings"
	"testing"
)

func TestParseCorefile(t *testing.T) {
	src := `# comment
cluster.local:53 in-addr.arpa {
    errors
    health {
       lameduck 5s
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure   # trailing comment
    }
    forward . 10.0.0.53 10.0.0.54 {
       max_concurrent 1000
    }
    loop
}
example.org {
    forward . 1.1.1.1
}
`
	blocks := ParseCorefile(src)
	if len(blocks) != 2 {
		t.Fatalf("got %d blocks: %+v", len(blocks), blocks)
	}
	if strings.Join(blocks[0].Zones, " ") != "cluster.local:53 in-addr.arpa" {
		t.Errorf("zones %v", blocks[0].Zones)
	}
	var names []string
	for _, p := range blocks[0].Plugins {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "errors,health,kubernetes,forward,loop" {
		t.Errorf("plugins %v", names)
	}
	if fw, _ := blocks[0].Has("forward"); strings.Join(fw.Args, " ") != ". 10.0.0.53 10.0.0.54" || len(fw.Body) != 1 {
		t.Errorf("forward %+v", fw)
	}
	if d := ClusterDomain(blocks); d != "cluster.local" {
		t.Errorf("domain %q", d)
	}
	if d := ClusterDomain(ParseCorefile("k8s.example:53 {\n kubernetes\n}\n")); d != "k8s.example" {
		t.Errorf("domain from block zones: %q", d)
	}
	if d := ClusterDomain(ParseCorefile("{{{ garbage")); d != "" {
		t.Errorf("garbage gave %q", d)
	}
}

func TestClassifyLogs(t *testing.T) {
	logs := map[string]string{
		"coredns-a": `[INFO] plugin/reload: Running configuration SHA512 = 1
[ERROR] plugin/errors: 2 example.com. A: read udp 10.244.0.5:43210->10.0.0.53:53: i/o timeout
[ERROR] plugin/errors: 2 example.org. A: read udp 10.244.0.5:43211->10.0.0.53:53: i/o timeout`,
		"coredns-b": `[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."`,
	}
	got := classifyLogs(logs)
	if len(got) != 2 || got[0].Kind != "upstream i/o timeout" || got[0].Count != 2 || got[1].Kind != "loop detected" || got[1].Pod != "coredns-b" {
		t.Errorf("got %+v", got)
	}
	if !strings.Contains(got[0].Example, "example.org") {
		t.Errorf("example should be the newest line: %q", got[0].Example)
	}
}

func TestQualify(t *testing.T) {
	for in, want := range map[string]string{
		"web":                         "web.shop.svc.cluster.local",
		"web.other":                   "web.other.svc.cluster.local",
		"web.other.svc":               "web.other.svc.cluster.local",
		"web.other.svc.cluster.local": "web.other.svc.cluster.local",
		"api.example.com":             "api.example.com",
		"api.example.com.":            "api.example.com",
	} {
		if got := qualify(in, "shop", "cluster.local"); got != want {
			t.Errorf("qualify(%q) = %q, want %q", in, got, want)
		}
	}
}
