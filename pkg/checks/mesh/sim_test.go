package mesh

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

// simNet is a simulated network of probe pods: which node pairs lose
// everything, which lose packets above a size, and which nodes have no DNS.
// Its runners answer the probes' commands as busybox would.
type simNet struct {
	mu sync.Mutex
	// ipNode maps pod IPs to node names, filled as the pods "start".
	ipNode map[string]string
	podIP  map[string]string // pod name -> IP
	// down: node pairs "a>b" that lose every packet; mtu: largest packet
	// that passes per pair; noDNS: nodes whose lookups fail.
	down  map[string]bool
	mtu   map[string]int
	noDNS map[string]bool
	execs int
}

func newSimNet() *simNet {
	return &simNet{ipNode: map[string]string{}, podIP: map[string]string{}, down: map[string]bool{}, mtu: map[string]int{}, noDNS: map[string]bool{}}
}

// start gives a pod its IP, as a kubelet would.
func (s *simNet) start(pod, node string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.podIP) + 1
	ip := fmt.Sprintf("10.%d.%d.%d", 100+n>>16, n>>8&255, n&255)
	s.podIP[pod] = ip
	s.ipNode[ip] = node
	return ip
}

func (s *simNet) runner(_, pod string) probe.Runner { return &simRunner{net: s, pod: pod} }

type simRunner struct {
	net *simNet
	pod string
}

func (r *simRunner) Where() string { return "sim " + r.pod }

func (r *simRunner) Run(_ context.Context, argv []string) (probe.Output, error) {
	s := r.net
	s.mu.Lock()
	defer s.mu.Unlock()
	s.execs++
	ip := s.podIP[r.pod]
	node := s.ipNode[ip]
	cmd := strings.Join(argv, " ")
	passes := func(target string, size int) bool {
		pair := node + ">" + s.ipNode[target]
		if s.down[pair] {
			return false
		}
		if limit, ok := s.mtu[pair]; ok && size > limit {
			return false
		}
		return true
	}
	switch {
	case argv[0] == "sh" && strings.Contains(cmd, "for t in ping nc"):
		return probe.Output{Stdout: "tool ping ping\ntool nc nc\ntool ip ip\ntool nslookup nslookup\ntool cat cat\nncflavor busybox\npingflavor busybox\n"}, nil
	case cmd == "cat /etc/resolv.conf":
		return probe.Output{Stdout: "search netdebug.svc.k8s.example svc.k8s.example k8s.example\nnameserver 10.96.0.10\noptions ndots:5\n"}, nil
	case argv[0] == "ping":
		target := argv[len(argv)-1]
		size := 56
		for i, a := range argv {
			if a == "-s" {
				size, _ = strconv.Atoi(argv[i+1])
			}
		}
		count, _ := strconv.Atoi(argv[2])
		got := count
		if !passes(target, size+28) {
			got = 0
		}
		return probe.Output{Stdout: fmt.Sprintf("--- %s ping statistics ---\n%d packets transmitted, %d packets received\n", target, count, got)}, nil
	case argv[0] == "nc":
		target := argv[len(argv)-2]
		if passes(target, 60) {
			return probe.Output{Stderr: "nc: can't connect to remote host (" + target + "): Connection refused", ExitCode: 1}, nil
		}
		return probe.Output{Stderr: "nc: timed out", ExitCode: 1}, nil
	case cmd == "ip -o addr show":
		return probe.Output{Stdout: "2: eth0    inet " + ip + "/24 brd 10.0.0.255 scope global eth0\n"}, nil
	case cmd == "ip -o link show":
		return probe.Output{Stdout: "2: eth0@if9: <BROADCAST,UP,LOWER_UP> mtu 1500 qdisc noqueue\n"}, nil
	case cmd == "ip route show":
		return probe.Output{Stdout: "default via 10.0.0.1 dev eth0\n"}, nil
	case argv[0] == "nslookup":
		if argv[len(argv)-1] != "kubernetes.default.svc.k8s.example" {
			return probe.Output{Stdout: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find " + argv[len(argv)-1] + ": NXDOMAIN\n", ExitCode: 1}, nil
		}
		if s.noDNS[node] {
			return probe.Output{Stderr: ";; connection timed out; no servers could be reached", ExitCode: 1}, nil
		}
		return probe.Output{Stdout: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n"}, nil
	}
	return probe.Output{ExitCode: 127}, probe.ErrNotFound
}
