package plugin

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

// version shows the build date (the commit's time, vcs.time) beside the
// commit, in text and in JSON; "unknown" when the build info has none.
func TestVersionShowsTheBuildDate(t *testing.T) {
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0a1b2c3"}, {Key: "vcs.time", Value: "2026-11-27T13:00:00+01:00"}}}
	if d := buildDate(bi, true); d != "2026-11-27T12:00:00Z" {
		t.Errorf("build date %q", d)
	}
	if d := buildDate(&debug.BuildInfo{}, true); d != "" {
		t.Errorf("no vcs.time: %q", d)
	}
	v := versionInfo{Version: "v1.2.0", Commit: "0a1b2c3", BuildDate: "2026-11-27T12:00:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	if got := v.text(); got != "kubectl-netdebug v1.2.0 (commit 0a1b2c3, built 2026-11-27T12:00:00Z, go1.26.8, linux/amd64)\n" {
		t.Errorf("text %q", got)
	}
	b, _ := json.Marshal(v)
	if !strings.Contains(string(b), `"commit":"0a1b2c3","buildDate":"2026-11-27T12:00:00Z"`) {
		t.Errorf("JSON %s", b)
	}
	v.Commit, v.BuildDate = "", ""
	if got := v.text(); got != "kubectl-netdebug v1.2.0 (commit unknown, build date unknown, go1.26.8, linux/amd64)\n" {
		t.Errorf("text without build info %q", got)
	}
	// Through the command: the line and the JSON field.
	out, _, code := execute(t, Config{}, "version")
	if code != 0 || !strings.Contains(out, "build date unknown") && !strings.Contains(out, ", built ") {
		t.Errorf("version: exit %d %q", code, out)
	}
	out, _, code = execute(t, Config{}, "version", "-o", "jsonpath={.goVersion}")
	if code != 0 || !strings.HasPrefix(out, "go1.") {
		t.Errorf("version -o jsonpath: exit %d %q", code, out)
	}
}
