//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// watchRSS samples the child's peak resident set size (VmHWM, the kernel's
// high-water mark of its address space) every 2ms until stop is closed, and
// returns the highest value seen, in bytes, with the highest anonymous RSS
// sampled (RssAnon: RSS without the pages mapped from the binary's file,
// which the page cache shares). The rusage of wait4 would not
// do: its ru_maxrss keeps the high-water mark of the process that forked
// the child, the bench itself, across exec.
func watchRSS(pid int, stop <-chan struct{}) <-chan rss {
	out := make(chan rss, 1)
	go func() {
		var peak rss
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		path := fmt.Sprintf("/proc/%d/status", pid)
		for {
			if b, err := os.ReadFile(path); err == nil {
				peak.hwm = max(peak.hwm, field(b, "VmHWM:"))
				peak.anon = max(peak.anon, field(b, "RssAnon:"))
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// field reads a "Name:  N kB" line of /proc/PID/status, in bytes.
func field(status []byte, name string) int64 {
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte(name)); ok {
			f := bytes.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
