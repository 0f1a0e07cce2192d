package probe

import (
	"context"
	"strings"
	"testing"
)

// Real /proc/net/tcp and /proc/net/tcp6 of a Linux (amd64) host: loopback
// and wildcard listeners, established and TIME_WAIT connections, ::1, an
// IPv4-mapped ::ffff:127.0.0.1 and the IPv6 wildcard.
const (
	procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 0100007F:A0EF 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1586990 2 000000002cc0b726 100 0 0 10 0                   
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1599670 2 00000000f239718c 100 0 0 10 0                   
   2: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1162 1 000000009270a373 100 0 0 10 0                      
   3: 0500F40A:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1163 1 000000009270a374 100 0 0 10 0                      
   4: 0100007F:BFAE 0100007F:832F 01 00000000:00000000 02:000005C4 00000000     0        0 1597384 2 0000000030134a92 20 4 10 16 -1                  
   5: 0100007F:C3E6 0100007F:1F90 06 00000000:00000000 03:00000AB4 00000000     0        0 0 3 00000000f4be139c                                      
`
	procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:46A1 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1599667 1 000000004008f2c1 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:46A2 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1599669 1 00000000c1f953ce 100 0 0 10 0
   2: 00000000000000000000000000000000:4A92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1599668 1 00000000a8be0637 100 0 0 10 0
   3: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1599669 1 00000000c1f953ce 100 0 0 10 0
   4: 0000000000000000FFFF00000100007F:46A2 0000000000000000FFFF00000100007F:D000 01 00000000:00000000 00:00000000 00000000     0        0 1599671 1 00000000c1f953cf 100 0 0 10 0
`
)

func names(l []Listener) string {
	s := make([]string, len(l))
	for i, x := range l {
		s[i] = x.String()
	}
	return strings.Join(s, " ")
}

func TestParseProcNetTCP(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
		bad              bool
	}{
		{name: "ipv4", text: procNetTCP, want: "10.244.0.5:80 0.0.0.0:2024 127.0.0.1:8080 127.0.0.1:41199"},
		{name: "ipv6 and ipv4-mapped", text: procNetTCP6, want: "[2001:db8::1]:80 [::1]:18081 127.0.0.1:18082 [::]:19090"},
		{name: "both files", text: procNetTCP + procNetTCP6, want: "10.244.0.5:80 [2001:db8::1]:80 0.0.0.0:2024 127.0.0.1:8080 [::1]:18081 127.0.0.1:18082 [::]:19090 127.0.0.1:41199"},
		{name: "tcp6 missing (cat's error after tcp)", text: procNetTCP + "cat: can't open '/proc/net/tcp6': No such file or directory\n", want: "10.244.0.5:80 0.0.0.0:2024 127.0.0.1:8080 127.0.0.1:41199"},
		{name: "header only: nothing listens", text: strings.SplitN(procNetTCP, "\n", 2)[0] + "\n", want: ""},
		{name: "SO_REUSEPORT workers listed once", text: procNetTCP + "   9: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1599690 2 00000000f239718d 100 0 0 10 0\n", want: "10.244.0.5:80 0.0.0.0:2024 127.0.0.1:8080 127.0.0.1:41199"},
		{name: "not /proc/net/tcp", text: "sh: cat: not found\n", bad: true},
		{name: "bad address", text: procNetTCP + "  10: 0100007G:1F90 00000000:0000 0A 0 0 0 0\n", bad: true},
		{name: "bad port", text: procNetTCP + "  10: 0100007F:XYZ 00000000:0000 0A 0 0 0 0\n", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcNetTCP(tc.text)
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted: %v", got)
				}
				return
			}
			if err != nil || names(got) != tc.want {
				t.Errorf("got %q, %v; want %q", names(got), err, tc.want)
			}
		})
	}
}

func TestRefusal(t *testing.T) {
	listen := func(text string) ListenResult {
		l, err := ParseProcNetTCP(text)
		if err != nil {
			t.Fatal(err)
		}
		return ListenResult{Ran: true, Listeners: l}
	}
	header := strings.SplitN(procNetTCP, "\n", 2)[0] + "\n"
	line := func(addr string) string {
		return "   1: " + addr + " 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n"
	}
	for _, tc := range []struct {
		name string
		r    ListenResult
		ip   string
		port int32
		kind RefusalKind
		text string
	}{
		{"not read", ListenResult{Why: "no cat"}, "10.244.0.5", 8080, RefusalUnknown, ""},
		{"loopback only", listen(procNetTCP), "10.244.0.5", 8080, RefusalLoopback, "it listens on 127.0.0.1:8080 only, which other pods cannot reach"},
		{"ipv6 loopback only", listen(procNetTCP6), "fd00::5", 18081, RefusalLoopback, "it listens on [::1]:18081 only"},
		{"ipv4-mapped loopback", listen(procNetTCP6), "10.244.0.5", 18082, RefusalLoopback, "it listens on 127.0.0.1:18082 only"},
		{"other ports", listen(header + line("00000000:1F91") + line("0500F40A:2382") + line("0100007F:2383")), "10.244.0.5", 8080, RefusalNotListening,
			"nothing listens on port 8080; it listens on 8081, 9090, 9091 (127.0.0.1 only)"},
		{"nothing at all", listen(header), "10.244.0.5", 8080, RefusalNotListening, "nothing listens on port 8080; it listens on no TCP port at all"},
		{"wildcard", listen(header + line("00000000:1F90")), "10.244.0.5", 8080, RefusalListening, "it listens on 0.0.0.0:8080, so the refusal is not the application's (a policy REJECT? kube-proxy?"},
		{"ipv6 wildcard takes ipv4", listen(procNetTCP6), "10.244.0.5", 19090, RefusalListening, "it listens on [::]:19090, so the refusal"},
		{"the pod IP", listen(procNetTCP), "10.244.0.5", 80, RefusalListening, "it listens on 10.244.0.5:80, so"},
		{"another address", listen(procNetTCP), "10.244.0.9", 80, RefusalOtherAddress, "it listens on 10.244.0.5:80 only, not on 10.244.0.9"},
		{"ipv4 wildcard does not take ipv6", listen(header + line("00000000:1F90")), "fd00::5", 8080, RefusalOtherAddress, "it listens on 0.0.0.0:8080 only, not on fd00::5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, text := tc.r.Refusal(tc.ip, tc.port)
			if kind != tc.kind || !strings.Contains(text, tc.text) || (tc.text == "" && text != "") {
				t.Errorf("got %s %q; want %s %q", kind, text, tc.kind, tc.text)
			}
		})
	}
}

func TestListening(t *testing.T) {
	ctx := context.Background()
	cmd := strings.Join(ListenCommand, " ")
	withCat := Toolset{Shell: true, tools: map[string][]string{"cat": {"/bin/busybox", "cat"}}}
	for _, tc := range []struct {
		name   string
		tools  Toolset
		runner fakeRunner
		ran    bool
		want   string
	}{
		{"busybox cat", withCat, fakeRunner{"/bin/busybox cat /proc/net/tcp /proc/net/tcp6": {Stdout: procNetTCP + procNetTCP6}}, true, "127.0.0.1:8080"},
		{"no ipv6", withCat, fakeRunner{"/bin/busybox cat /proc/net/tcp /proc/net/tcp6": {Stdout: procNetTCP, Stderr: "cat: can't open '/proc/net/tcp6': No such file or directory", ExitCode: 1}}, true, "127.0.0.1:8080"},
		{"shell without cat", Toolset{Shell: true, tools: map[string][]string{}}, fakeRunner{}, false, "no cat in fake"},
		{"no shell, a bare cat", Toolset{tools: map[string][]string{}}, fakeRunner{cmd: {Stdout: procNetTCP}}, true, "127.0.0.1:8080"},
		{"distroless: no cat at all", Toolset{}, fakeRunner{}, false, "no cat in fake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Prober{Runner: tc.runner, Tools: tc.tools}
			r := p.Listening(ctx)
			f := r.Fact()
			if r.Ran != tc.ran || !strings.Contains(f.Value, tc.want) {
				t.Errorf("ran %t, fact %q, why %q", r.Ran, f.Value, r.Why)
			}
			if r.Ran && strings.Contains(r.Evidence.Output, " 01 ") {
				t.Errorf("evidence keeps connections: %q", r.Evidence.Output)
			}
		})
	}
	if r := ReadListening(ctx, Session{How: "probes disabled (--probe=none): static checks only"}); r.Ran || !strings.Contains(r.Why, "--probe=none") {
		t.Errorf("no reader: %+v", r)
	}
}
