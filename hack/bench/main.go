// Command bench measures what each netdebug command costs on a large
// synthetic cluster (make bench): API requests, bytes read, wall time and
// peak memory, beside the floor of reading the same objects with kubectl.
//
// It starts kube-apiserver and etcd (envtest), loads 100 namespaces of 100
// pods, 20 Services with EndpointSlices, 5 NetworkPolicies and 3 Ingresses
// each, generated from a fixed seed, and runs the real plugin binary and
// kubectl through a counting loopback proxy. The targeted commands are
// measured once after the first 10 namespaces and again on the full
// cluster, to show whether their requests grow with the cluster.
//
// It then measures `netpol matrix` offline at scale (matrix.go): manifests
// of 1,000 and 5,000 pods with 200 policies, the human report and JSON, and
// how fast SIGTERM ends the largest run. --only cluster or --only matrix
// runs one part and rewrites only its section of the results.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
)

const namespaces = 100

type options struct {
	plugin, kubectl, out string
	runs, workers        int
	small                int
	seed                 uint64
	// hold keeps the loaded cluster up for manual runs and profiles.
	hold bool
	// only is "cluster" or "matrix" to run one part ("" both).
	only string
	// matrixPods are the sizes of the offline matrices, matrixPolicies
	// their policies.
	matrixPods     []int
	matrixPolicies int
	// writeMatrix writes the matrix manifests there and exits.
	writeMatrix string
}

func main() {
	var o options
	flag.StringVar(&o.plugin, "plugin", "bin/kubectl-netdebug", "the plugin binary")
	flag.StringVar(&o.kubectl, "kubectl", "", "the kubectl binary for the floor (hack/build-kube.sh kubectl)")
	flag.StringVar(&o.out, "out", "hack/bench/results.md", "where to write the results (markdown)")
	flag.IntVar(&o.runs, "runs", 3, "runs per command (median wall time, max RSS)")
	flag.IntVar(&o.workers, "workers", 64, "concurrent writers while loading")
	flag.IntVar(&o.small, "small", 10, "namespaces loaded before the first measurement")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the synthetic cluster")
	flag.BoolVar(&o.hold, "hold", false, "after loading, print the kubeconfig and keep the cluster up until interrupted (no measurements)")
	flag.StringVar(&o.only, "only", "", "run one part: cluster or matrix (default both); the other part's section of --out is kept")
	pods := flag.String("matrix-pods", "1000,5000", "pod counts of the offline matrices")
	flag.IntVar(&o.matrixPolicies, "matrix-policies", 200, "NetworkPolicies of the offline matrices")
	flag.StringVar(&o.writeMatrix, "write-matrix", "", "write the matrix manifests under this directory (one folder per pod count) and exit, for manual runs and profiles")
	flag.Parse()
	for _, f := range strings.Split(*pods, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: bad --matrix-pods %q\n", *pods)
			os.Exit(1)
		}
		o.matrixPods = append(o.matrixPods, n)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// command is one measured command line.
type command struct {
	label string
	bin   string // "plugin" or "kubectl"
	args  []string
	// bounded: its requests should not grow with the cluster.
	bounded bool
}

// atSmall: measured on the small cluster too, to show how its cost grows.
func (c command) atSmall() bool { return c.bounded || c.label == "scan -A" }

var commands = []command{
	{"service svc-00 -n bench-000", "plugin", []string{"service", "svc-00", "-n", "bench-000"}, true},
	{"ingress ing-0 -n bench-000", "plugin", []string{"ingress", "ing-0", "-n", "bench-000"}, true},
	{"pod bench-000/pod-000 bench-000/pod-001 --probe none", "plugin", []string{"pod", "bench-000/pod-000", "bench-000/pod-001", "--probe", "none"}, true},
	{"netpol bench-000/pod-000 bench-000/pod-001", "plugin", []string{"netpol", "bench-000/pod-000", "bench-000/pod-001"}, true},
	{"netpol matrix -n bench-000", "plugin", []string{"netpol", "matrix", "-n", "bench-000"}, false},
	{"dns", "plugin", []string{"dns"}, true},
	{"scan -A", "plugin", []string{"scan", "-A"}, false},
	{"floor: kubectl get pods,services,endpointslices,ingresses,networkpolicies -A -o json", "kubectl",
		[]string{"get", "pods,services,endpointslices,ingresses,networkpolicies", "-A", "-o", "json"}, false},
}

// rss is what watchRSS saw of a run.
type rss struct{ hwm, anon int64 }

type result struct {
	requests, bytes int64
	wall            time.Duration
	rss             int64 // peak RSS (VmHWM)
	anon            int64 // peak anonymous RSS sampled: without the binary's file pages
	heap            int64 // largest Go heap at the start of a collection
	exit            int
	stderr          string
}

func run(o options) error {
	if o.writeMatrix != "" {
		dirs, err := matrixDirs(o, o.writeMatrix)
		for _, n := range o.matrixPods {
			if dirs[n] != "" {
				fmt.Printf("%d pods: %s\n", n, dirs[n])
			}
		}
		return err
	}
	var clusterPart, matrixPart string
	var err error
	switch o.only {
	case "", "cluster", "matrix":
	default:
		return fmt.Errorf("--only %q: use cluster or matrix", o.only)
	}
	if o.only != "matrix" {
		if clusterPart, err = benchCluster(o); err != nil || o.hold {
			return err
		}
	}
	if o.only != "cluster" {
		if _, err := os.Stat(o.plugin); err != nil {
			return err
		}
		if matrixPart, err = benchMatrix(o); err != nil {
			return err
		}
		fmt.Print(matrixPart)
	}
	if o.only != "" {
		// Keep the other part's section of the previous results.
		old, _ := os.ReadFile(o.out)
		before, after, _ := strings.Cut(string(old), matrixHeading)
		if after != "" {
			after = matrixHeading + after
		}
		if clusterPart == "" {
			clusterPart = before
		}
		if matrixPart == "" {
			matrixPart = after
		}
	}
	return os.WriteFile(o.out, []byte(clusterPart+matrixPart), 0o644)
}

// benchCluster loads the synthetic cluster and measures the commands
// against it; it returns the markdown of the results.
func benchCluster(o options) (string, error) {
	if o.kubectl == "" {
		return "", fmt.Errorf("--kubectl is required (hack/build-kube.sh kubectl prints its folder)")
	}
	for _, b := range []string{o.plugin, o.kubectl} {
		if _, err := os.Stat(b); err != nil {
			return "", err
		}
	}
	fmt.Println("starting kube-apiserver and etcd...")
	env, err := testenv.Start()
	if err != nil {
		return "", err
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()

	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = 1e5, 1e5
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	l := &loader{client: client, workers: o.workers}
	m, err := startMeter(env.Config)
	if err != nil {
		return "", err
	}
	defer m.stop()
	home, err := os.MkdirTemp("", "netdebug-bench-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(home)
	kc, err := m.kubeconfig(home)
	if err != nil {
		return "", err
	}

	start := time.Now()
	if err := l.nodes(ctx); err != nil {
		return "", fmt.Errorf("loading nodes: %w", err)
	}
	if err := l.ingressClass(ctx); err != nil {
		return "", err
	}
	if err := l.namespaces(ctx, o.seed, 0, o.small); err != nil {
		return "", fmt.Errorf("loading: %w", err)
	}
	fmt.Printf("loaded %d namespaces in %s\n", o.small, time.Since(start).Round(time.Millisecond))
	small := map[string]result{}
	for _, c := range commands {
		if c.atSmall() {
			small[c.label] = measure(o, m, kc, home, c)
		}
	}
	if err := l.namespaces(ctx, o.seed, o.small, namespaces); err != nil {
		return "", fmt.Errorf("loading: %w", err)
	}
	load := time.Since(start)
	fmt.Printf("loaded %d namespaces (%d writes) in %s\n", namespaces, l.writes.Load(), load.Round(time.Millisecond))
	if o.hold {
		fmt.Printf("holding; run commands with --kubeconfig %s, interrupt to stop\n", kc)
		hold, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		<-hold.Done()
		return "", nil
	}

	full := map[string]result{}
	for _, c := range commands {
		full[c.label] = measure(o, m, kc, home, c)
	}
	text := table(o, small, full, load, l.writes.Load())
	fmt.Print(text)
	return text, nil
}

// measure runs c o.runs times: median wall time, max RSS, the requests and
// bytes of the last run (they do not vary).
func measure(o options, m *meter, kc, home string, c command) result {
	var walls []time.Duration
	var res result
	for range o.runs {
		bin := o.plugin
		if c.bin == "kubectl" {
			bin = o.kubectl
		}
		cmd := exec.Command(bin, append(slices.Clone(c.args), "--kubeconfig", kc)...)
		cmd.Stdout = io.Discard
		var stderr strings.Builder
		cmd.Stderr = &stderr
		// A fresh HOME per run: kubectl's discovery cache starts cold.
		dir, _ := os.MkdirTemp(home, "run-")
		// gctrace prints the heap size at each collection: its largest
		// value is the peak Go heap, beside the RSS.
		cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "GODEBUG=gctrace=1"}
		m.reset()
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return result{exit: -1, stderr: err.Error()}
		}
		stop := make(chan struct{})
		peak := watchRSS(cmd.Process.Pid, stop)
		_ = cmd.Wait() // the exit code is in ProcessState
		wall := time.Since(t0)
		close(stop)
		walls = append(walls, wall)
		r := result{requests: m.requests.Load(), bytes: m.bytes.Load(), wall: wall, stderr: strings.TrimSpace(stderr.String())}
		r.exit = cmd.ProcessState.ExitCode()
		p := <-peak
		r.rss, r.anon = p.hwm, p.anon
		r.heap, r.stderr = gcHeap(r.stderr)
		r.rss = max(r.rss, res.rss)
		r.anon = max(r.anon, res.anon)
		r.heap = max(r.heap, res.heap)
		res = r
		_ = os.RemoveAll(dir)
	}
	slices.Sort(walls)
	res.wall = walls[len(walls)/2]
	fmt.Printf("%-90s %4d req %10s %8s rss %8s anon %8s heap %8s exit %d\n", c.label, res.requests, mib(res.bytes), res.wall.Round(time.Millisecond), mib(res.rss), mib(res.anon), mib(res.heap), res.exit)
	if res.exit > 1 || res.exit < 0 {
		fmt.Printf("    stderr: %s\n", res.stderr)
	}
	return res
}

var gcLine = regexp.MustCompile(`^gc \d+ @.* (\d+)->\d+->\d+ MB`)

// gcHeap takes the gctrace lines out of stderr and returns the largest heap
// size at the start of a collection (0 when none ran: under 4 MiB).
func gcHeap(stderr string) (int64, string) {
	var peak int64
	var rest []string
	for _, line := range strings.Split(stderr, "\n") {
		if m := gcLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			peak = max(peak, n<<20)
			continue
		}
		rest = append(rest, line)
	}
	return peak, strings.TrimSpace(strings.Join(rest, "\n"))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func table(o options, small, full map[string]result, load time.Duration, writes int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# netdebug on a large synthetic cluster (`make bench`)\n\n")
	fmt.Fprintf(&b, "envtest kube-apiserver + etcd; %d namespaces: %d pods, %d Services with EndpointSlices, %d NetworkPolicies, %d Ingresses (seed %d; %d writes, loaded in %s with %d writers).\n",
		namespaces, namespaces*podsPerNS, namespaces*servicesPerNS, namespaces*policiesPerNS, namespaces*ingressesPerNS, o.seed, writes, load.Round(time.Second), o.workers)
	fmt.Fprintf(&b, "Each command is the real binary, run %d times (median wall time, largest peak RSS (VmHWM) and anonymous RSS (RssAnon: the RSS less the pages mapped from the binary, which the page cache shares) sampled from /proc every 2ms, largest Go heap at the start of a collection from GODEBUG=gctrace=1), talking to the API server through a counting loopback proxy (bytes are response bodies, uncompressed). \"requests at %d ns\" is the same command after only %d namespaces were loaded.\n\n", o.runs, o.small, o.small)
	fmt.Fprintf(&b, "| command | requests | requests at %d ns | bytes read | wall time | peak RSS | peak anon RSS | peak Go heap | exit |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", o.small)
	for _, c := range commands {
		r := full[c.label]
		s := "-"
		if sr, ok := small[c.label]; ok {
			s = fmt.Sprint(sr.requests)
		}
		heap := mib(r.heap)
		if r.heap == 0 {
			heap = "< 4 MiB"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s | %s | %s | %s | %s | %d |\n", c.label, r.requests, s, mib(r.bytes), r.wall.Round(time.Millisecond), mib(r.rss), mib(r.anon), heap, r.exit)
	}
	scan, floor := full["scan -A"], full[commands[len(commands)-1].label]
	fmt.Fprintf(&b, "\nTargets:\n\n")
	for _, c := range commands {
		if !c.bounded {
			continue
		}
		r, s := full[c.label], small[c.label]
		fmt.Fprintf(&b, "- `%s`: %d requests on the full cluster, %d at %d namespaces (target: about ten at most, not growing): %s\n",
			c.label, r.requests, s.requests, o.small, verdict(r.requests <= 12 && r.requests <= s.requests))
	}
	if floor.wall > 0 {
		fmt.Fprintf(&b, "- `scan -A` wall time %s = %.2fx the floor's %s (target: within 2x): %s\n",
			scan.wall.Round(time.Millisecond), float64(scan.wall)/float64(floor.wall), floor.wall.Round(time.Millisecond), verdict(scan.wall <= 2*floor.wall))
	}
	if scan.bytes > 0 {
		fmt.Fprintf(&b, "- `scan -A` peak RSS %s = %.2fx the %s it read (target: under 2x): %s\n",
			mib(scan.rss), float64(scan.rss)/float64(scan.bytes), mib(scan.bytes), verdict(scan.rss < 2*scan.bytes))
		fmt.Fprintf(&b, "- `scan -A` peak anonymous RSS %s = %.2fx and peak Go heap %s = %.2fx the bytes it read (the RSS adds the binary's pages and the runtime: %s for `%s`)\n",
			mib(scan.anon), float64(scan.anon)/float64(scan.bytes), mib(scan.heap), float64(scan.heap)/float64(scan.bytes), mib(full[commands[0].label].rss), commands[0].label)
	}
	if s := small["scan -A"]; s.bytes > 0 && scan.bytes > 0 {
		fmt.Fprintf(&b, "- `scan -A` at %d namespaces read %s with a peak RSS of %s; at %d, %.1fx the bytes (%s) for %.2fx the RSS (%s): it holds one namespace at a time, not the cluster\n",
			o.small, mib(s.bytes), mib(s.rss), namespaces, float64(scan.bytes)/float64(s.bytes), mib(scan.bytes), float64(scan.rss)/float64(s.rss), mib(scan.rss))
	}
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
