package printers

import (
	"io"
	"strings"
	"unicode/utf8"
)

// minText is the fewest columns of text a folded line keeps after its
// indent, however narrow the terminal: below it, lines run over the width
// rather than into a column of single words.
const minText = 24

// folder writes the lines of the human report folded at width columns, at
// spaces, each continuation line indented so that the text stays in its
// column (evidence under evidence). Width 0 writes every line unchanged, as
// for a pipe or a file. Colour escapes take no column.
type folder struct {
	w     io.Writer
	width int
}

// line writes prefix and text as one line, ended by a newline. The prefix
// (a label such as "Verdict: " or the evidence indent) is never folded;
// continuation lines of text start with cont spaces. A word longer than a
// line stays whole. A newline inside text starts a continuation line.
func (f folder) line(prefix, text string, cont int) {
	if f.width <= 0 {
		io.WriteString(f.w, prefix+text+"\n")
		return
	}
	width := max(f.width, cont+minText)
	var b strings.Builder
	b.WriteString(prefix)
	col := visibleLen(prefix)
	start := col // the column where the line's text starts
	pad := strings.Repeat(" ", cont)
	for i, part := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteString("\n" + pad)
			col, start = cont, cont
		}
		for j, word := range strings.Split(part, " ") {
			n := visibleLen(word)
			if j == 0 {
				b.WriteString(word)
				col += n
				continue
			}
			if col+1+n > width && col > start {
				b.WriteString("\n" + pad)
				col, start = cont, cont
				if n == 0 {
					continue // a run of spaces ends where the line does
				}
				b.WriteString(word)
				col += n
				continue
			}
			b.WriteString(" " + word)
			col += 1 + n
		}
	}
	b.WriteString("\n")
	io.WriteString(f.w, b.String())
}

// visibleLen is the number of columns s takes on a terminal: its runes,
// less the ANSI escape sequences of colours.
func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
			i++ // the final byte
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}
