package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// matrixHeading starts the matrix section of the results, which --only
// cluster keeps.
const matrixHeading = "\n## Matrix at scale (offline)\n"

// matrixRun is one measured offline `netpol matrix` command line.
type matrixRun struct {
	pods   int
	format string // "" (the human report) or json, yaml
}

func (m matrixRun) args(dir string) []string {
	a := []string{"netpol", "matrix", "--local", "-f", dir, "--max-pods", strconv.Itoa(m.pods)}
	if m.format != "" {
		a = append(a, "-o", m.format)
	}
	return a
}

func (m matrixRun) label(policies int) string {
	l := fmt.Sprintf("netpol matrix --local (%d pods, %d policies)", m.pods, policies)
	if m.format != "" {
		l += " -o " + m.format
	}
	return l
}

// matrixResult is what a matrix run cost, beside the cluster commands'.
type matrixResult struct {
	result
	out int64 // bytes written to stdout
}

// countWriter counts what the plugin writes, without keeping it.
type countWriter struct{ n atomic.Int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// matrixDirs writes the manifests of each size under root, one directory
// per pod count.
func matrixDirs(o options, root string) (map[int]string, error) {
	dirs := map[int]string{}
	for _, n := range o.matrixPods {
		dir := filepath.Join(root, fmt.Sprintf("pods-%d", n))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := writeMatrixManifests(dir, n, o.matrixPolicies, o.seed); err != nil {
			return nil, fmt.Errorf("writing the matrix manifests: %w", err)
		}
		dirs[n] = dir
	}
	return dirs, nil
}

// benchMatrix measures the offline matrix of each size, as the human report
// and as JSON, with the real binary, then how fast SIGTERM ends the largest
// JSON run; it returns the markdown section of the results.
func benchMatrix(o options) (string, error) {
	root, err := os.MkdirTemp("", "netdebug-matrix-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(root)
	dirs, err := matrixDirs(o, root)
	if err != nil {
		return "", err
	}
	// Other work on the machine stretches wall times: say how busy it was.
	load := "unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	var runs []matrixRun
	for _, n := range o.matrixPods {
		runs = append(runs, matrixRun{pods: n}, matrixRun{pods: n, format: "json"})
	}
	res := map[matrixRun]matrixResult{}
	for _, m := range runs {
		res[m] = measureMatrix(o, m, dirs[m.pods])
	}
	largest := slices.Max(o.matrixPods)
	sig := signalLatency(o, matrixRun{pods: largest, format: "json"}, dirs[largest])

	var b strings.Builder
	b.WriteString(matrixHeading + "\n")
	fmt.Fprintf(&b, "`netpol matrix --local -f DIR --max-pods N` on generated manifests: N pods over %d namespaces, each declaring TCP 8080 and 9090, and %d NetworkPolicies of the shapes of `go test -bench=Matrix ./pkg/policy` (seed %d), so each matrix checks 2 x N x N flows. Real binary, %d runs (median wall time, largest peak RSS; output bytes counted, not kept); load average before the runs: %s.\n\n",
		matrixNamespaces, o.matrixPolicies, o.seed, o.runs, load)
	fmt.Fprintf(&b, "| command | cells | wall time | peak RSS | peak anon RSS | peak Go heap | output | bytes per cell | exit |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, m := range runs {
		r := res[m]
		cells := int64(2 * m.pods * m.pods)
		heap := mib(r.heap)
		if r.heap == 0 {
			heap = "< 4 MiB"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s | %s | %s | %s | %.2f | %d |\n", m.label(o.matrixPolicies), cells, r.wall.Round(time.Millisecond),
			mib(r.rss), mib(r.anon), heap, mib(r.out), float64(r.out)/float64(cells), r.exit)
	}
	fmt.Fprintf(&b, "\nTargets:\n\n")
	for _, m := range runs {
		r := res[m]
		switch {
		case m.pods == 1000 && m.format == "json":
			fmt.Fprintf(&b, "- `%s`: %s and %s peak RSS (target: at most 0.5 s and 200 MB): %s\n", m.label(o.matrixPolicies),
				r.wall.Round(time.Millisecond), mib(r.rss), verdict(r.wall <= 500*time.Millisecond && r.rss <= 200e6 && r.exit == 0))
		case m.pods > 1000 && m.format == "json":
			fmt.Fprintf(&b, "- `%s`: completes (exit %d) with %s peak RSS\n", m.label(o.matrixPolicies), r.exit, mib(r.rss))
		}
	}
	if sig.err != "" {
		fmt.Fprintf(&b, "- SIGTERM during `%s`: %s\n", sig.label, sig.err)
	} else {
		fmt.Fprintf(&b, "- SIGTERM %s into `%s`: exit %d %s later, stderr %q (target: within 1 s, exit 2): %s\n", sig.after, sig.label,
			sig.exit, sig.latency.Round(time.Millisecond), sig.stderr, verdict(sig.latency <= time.Second && sig.exit == 2))
	}
	return b.String(), nil
}

// measureMatrix runs m o.runs times: median wall time, max RSS and heap.
func measureMatrix(o options, m matrixRun, dir string) matrixResult {
	var walls []time.Duration
	var res matrixResult
	for range o.runs {
		cmd := exec.Command(o.plugin, m.args(dir)...)
		out := &countWriter{}
		cmd.Stdout = out
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmd.Env = []string{"HOME=" + os.TempDir(), "PATH=" + os.Getenv("PATH"), "GODEBUG=gctrace=1"}
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return matrixResult{result: result{exit: -1, stderr: err.Error()}}
		}
		stop := make(chan struct{})
		peak := watchRSS(cmd.Process.Pid, stop)
		_ = cmd.Wait()
		wall := time.Since(t0)
		close(stop)
		walls = append(walls, wall)
		p := <-peak
		r := matrixResult{result: result{wall: wall, exit: cmd.ProcessState.ExitCode(), rss: max(p.hwm, res.rss), anon: max(p.anon, res.anon)}, out: out.n.Load()}
		r.heap, r.stderr = gcHeap(stderr.String())
		r.heap = max(r.heap, res.heap)
		res = r
	}
	slices.Sort(walls)
	res.wall = walls[len(walls)/2]
	fmt.Printf("%-70s %8s rss %8s anon %8s heap %8s out %10s exit %d\n", m.label(o.matrixPolicies), res.wall.Round(time.Millisecond), mib(res.rss), mib(res.anon), mib(res.heap), mib(res.out), res.exit)
	if res.exit > 1 || res.exit < 0 {
		fmt.Printf("    stderr: %s\n", res.stderr)
	}
	return res
}

// sigResult is how a run ended after SIGTERM.
type sigResult struct {
	label          string
	after, latency time.Duration
	exit           int
	stderr, err    string
}

// signalLatency starts m, sends SIGTERM halfway through its median run
// (measured first) and times how long the process takes to exit after it.
func signalLatency(o options, m matrixRun, dir string) sigResult {
	s := sigResult{label: m.label(o.matrixPolicies)}
	full := measureMatrix(matrixOnce(o), m, dir)
	s.after = max(full.wall/2, 100*time.Millisecond).Round(time.Millisecond)
	var walls []time.Duration
	for range o.runs {
		cmd := exec.Command(o.plugin, m.args(dir)...)
		cmd.Stdout = &countWriter{}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			s.err = err.Error()
			return s
		}
		time.Sleep(s.after)
		t0 := time.Now()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			s.err = err.Error()
		}
		_ = cmd.Wait()
		walls = append(walls, time.Since(t0))
		s.exit, s.stderr = cmd.ProcessState.ExitCode(), strings.TrimSpace(stderr.String())
	}
	slices.Sort(walls)
	s.latency = walls[len(walls)/2]
	fmt.Printf("SIGTERM %s into %s: exit %d after %s: %s\n", s.after, s.label, s.exit, s.latency.Round(time.Millisecond), s.stderr)
	return s
}

func matrixOnce(o options) options {
	o.runs = 1
	return o
}
