package netpol

import (
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

// matrixText renders the matrix: rows are sources, columns destinations,
// numbered as the rows; the column numbers are written vertically so that
// each column is one character wide, and every tenth column is followed by a
// space.
func matrixText(pods []policy.PodRef, flags []uint8, ports []matrixPort, declared bool) string {
	n := len(pods)
	if n == 0 {
		return ""
	}
	var b strings.Builder
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
	b.Grow((prefix + n + n/groupSize + 1) * (n + numWidth + 4))
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
	for s, p := range pods {
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
			row = append(row, cellChar(flags[s*n+d]))
		}
		b.Write(row)
		b.WriteByte('\n')
	}
	b.WriteString("Legend: . allowed  X denied  ? undecided")
	if len(ports) > 1 {
		b.WriteString("  ~ allowed on some ports only")
	}
	b.WriteString("  - no port to check\n")
	return b.String()
}
