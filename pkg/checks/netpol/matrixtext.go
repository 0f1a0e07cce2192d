package netpol

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// groupSize is the number of columns between two spaces, so that a column
// can be found by eye in wide matrices.
const groupSize = 10

// cellChar is what a cell shows: '.' allowed, 'X' denied, '?' undecided on
// some port, '~' allowed on some ports only, '-' nothing checked.
func cellChar(f uint8) byte {
	switch {
	case f == 0:
		return '-'
	case f&cellUndecided != 0:
		return '?'
	case f == cellAllowed:
		return '.'
	case f == cellDenied:
		return 'X'
	default:
		return '~'
	}
}

// matrixText renders the matrix into b: rows are sources, columns
// destinations, numbered as the rows; the column numbers are written
// vertically so that each column is one character wide, and every tenth
// column is followed by a space. It stops with ctx's error once ctx is done.
func matrixText(ctx context.Context, b *bufio.Writer, pods []policy.PodRef, ports []matrixPort, declared bool) error {
	n := len(pods)
	if n == 0 {
		return nil
	}
	var labels []string
	for _, p := range ports {
		labels = append(labels, p.String())
	}
	b.WriteString("Reachability (rows: from, columns: to, numbered as the rows)")
	if declared {
		b.WriteString(", each destination on the ports it declares")
	}
	if len(labels) > 0 {
		b.WriteString(": " + strings.Join(labels, ", "))
	}
	b.WriteString("\n")

	numWidth := len(strconv.Itoa(n))
	nameWidth := 0
	for _, p := range pods {
		nameWidth = max(nameWidth, len(p.String()))
	}
	prefix := 2 + numWidth + 1 + nameWidth + 2
	// Column numbers, one digit per line, leading zeros as spaces.
	for k := numWidth - 1; k >= 0; k-- {
		b.WriteString(strings.Repeat(" ", prefix))
		pow := 1
		for range k {
			pow *= 10
		}
		for j := 1; j <= n; j++ {
			if j > 1 && (j-1)%groupSize == 0 {
				b.WriteByte(' ')
			}
			if j < pow {
				b.WriteByte(' ')
			} else {
				b.WriteByte(byte('0' + (j/pow)%10))
			}
		}
		b.WriteByte('\n')
	}
	row := make([]byte, 0, n+n/groupSize)
	flags := make([]uint8, n)
	words := (n + 63) / 64
	allowed, denied, undecided := make([]uint64, words), make([]uint64, words), make([]uint64, words)
	for s, p := range pods {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("writing the matrix: %w", err)
		}
		// The results of the row on every port, 64 destinations at a
		// time, then one flag per destination.
		clear(allowed)
		clear(denied)
		clear(undecided)
		for _, mp := range ports {
			a, d := mp.m.Row(s)
			for w, mask := range mp.mask {
				allowed[w] |= a[w]
				denied[w] |= d[w]
				undecided[w] |= mask &^ (a[w] | d[w])
			}
		}
		for d := range flags {
			w, bit := d>>6, uint64(1)<<(uint(d)&63)
			var f uint8
			if allowed[w]&bit != 0 {
				f |= cellAllowed
			}
			if denied[w]&bit != 0 {
				f |= cellDenied
			}
			if undecided[w]&bit != 0 {
				f |= cellUndecided
			}
			flags[d] = f
		}
		b.WriteString("  ")
		num := strconv.Itoa(s + 1)
		b.WriteString(strings.Repeat(" ", numWidth-len(num)))
		b.WriteString(num)
		b.WriteByte(' ')
		name := p.String()
		b.WriteString(name)
		b.WriteString(strings.Repeat(" ", nameWidth-len(name)+2))
		row = row[:0]
		for d := range n {
			if d > 0 && d%groupSize == 0 {
				row = append(row, ' ')
			}
			row = append(row, cellChar(flags[d]))
		}
		b.Write(row)
		b.WriteByte('\n')
	}
	b.WriteString("Legend: . allowed  X denied  ? undecided")
	if len(ports) > 1 {
		b.WriteString("  ~ allowed on some ports only")
	}
	b.WriteString("  - no port to check\n")
	return nil
}
