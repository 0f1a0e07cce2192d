package printers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// rowData is the check Data of r that has rows to stream, in check order.
func rowData(r *report.Report) []report.RowData {
	var out []report.RowData
	for _, c := range r.Checks {
		if rd, ok := c.Data.(report.RowData); ok {
			out = append(out, rd)
		}
	}
	return out
}

// printStreamed writes r as one JSON or YAML document, the same as Print
// would, without ever holding the rows of the streamed data encoded: the
// report is encoded with a placeholder for each such Data, then written up
// to the placeholder, the data's head and rows written in its place, row by
// row, and so on to the end. ctx is looked at once per row.
func printStreamed(ctx context.Context, w io.Writer, r *report.Report, format Format, rows []report.RowData) error {
	// A random token cannot occur anywhere else in the document.
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	token := "netdebug-rows-" + hex.EncodeToString(nonce[:]) + "-"
	cp := *r
	cp.Checks = slices.Clone(r.Checks)
	n := 0
	for i := range cp.Checks {
		if _, ok := cp.Checks[i].Data.(report.RowData); ok {
			cp.Checks[i].Data = token + strconv.Itoa(n)
			n++
		}
	}
	var doc []byte
	var err error
	if format == JSON {
		doc, err = json.MarshalIndent(&cp, "", "  ")
		doc = append(doc, '\n')
	} else {
		doc, err = marshalYAML(&cp)
	}
	if err != nil {
		return fmt.Errorf("encoding report as %s: %w", strings.ToUpper(string(format)), err)
	}
	// bw keeps the first write error and fails every write after it: the
	// rows look at it once each, Flush at the end.
	bw := bufio.NewWriterSize(w, 64<<10)
	for i, rd := range rows {
		// JSON: `"data": "TOKEN"`; YAML: `data: TOKEN` and a newline.
		marker := `"` + token + strconv.Itoa(i) + `"`
		if format == YAML {
			marker = " " + token + strconv.Itoa(i) + "\n"
		}
		at := bytes.Index(doc, []byte(marker))
		if at < 0 {
			return fmt.Errorf("encoding the report: the placeholder of data %d is missing", i)
		}
		line := doc[bytes.LastIndexByte(doc[:at], '\n')+1 : at]
		if _, err := bw.Write(doc[:at]); err != nil {
			return err
		}
		if format == JSON {
			// The data's lines are indented as the line of its field.
			err = writeJSONRows(ctx, bw, rd, strings.Repeat(" ", len(line)-len(bytes.TrimLeft(line, " "))))
		} else {
			// Its fields go two spaces right of the column of its key
			// ("data" in "  data:" or "- data:").
			err = writeYAMLRows(ctx, bw, rd, strings.Repeat(" ", len(line)-len(bytes.TrimLeft(line, " -"))+2))
		}
		if err != nil {
			return err
		}
		doc = doc[at+len(marker):]
	}
	if _, err := bw.Write(doc); err != nil {
		return err
	}
	return bw.Flush()
}

// writeJSONRows writes rd as a JSON object whose lines are indented by
// indent, as json.MarshalIndent would at that depth, but with each row on a
// line of its own.
func writeJSONRows(ctx context.Context, w *bufio.Writer, rd report.RowData, indent string) error {
	head, err := json.MarshalIndent(rd.RowsHead(), indent, "  ")
	if err != nil {
		return fmt.Errorf("encoding report as JSON: %w", err)
	}
	if len(head) < 2 || head[0] != '{' {
		return fmt.Errorf("encoding report as JSON: the head of streamed data is not an object")
	}
	// Reopen the object: drop its closing brace (and the line break
	// before it, unless it is empty).
	head = bytes.TrimRight(head[:len(head)-1], " \n")
	w.Write(head)
	if len(head) > 1 {
		w.WriteByte(',')
	}
	w.WriteString("\n" + indent + `  "rows": [`)
	first := true
	err = rd.EachRow(func(row [][]byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		w.WriteString("\n" + indent + "    ")
		writeStrings(w, row)
		// A failed write (a closed pipe) is kept by w: stop there.
		_, err := w.Write(nil)
		return err
	})
	if err != nil {
		return err
	}
	if !first {
		w.WriteString("\n" + indent + "  ")
	}
	_, err = w.WriteString("]\n" + indent + "}")
	return err
}

// writeYAMLRows writes rd as the block mapping of a key (the "data:" just
// written), its lines indented by indent: the head's fields, then rows, a
// sequence with a row per line in flow style (["A-D", "AAU"]), which YAML
// reads as JSON.
func writeYAMLRows(ctx context.Context, w *bufio.Writer, rd report.RowData, indent string) error {
	head, err := marshalYAML(rd.RowsHead())
	if err != nil {
		return fmt.Errorf("encoding report as YAML: %w", err)
	}
	w.WriteByte('\n')
	if s := strings.TrimSpace(string(head)); s != "{}" {
		for line := range strings.Lines(string(head)) {
			w.WriteString(indent + line)
		}
	}
	w.WriteString(indent + "rows:")
	first := true
	err = rd.EachRow(func(row [][]byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if first {
			w.WriteByte('\n')
		}
		first = false
		w.WriteString(indent + "- ")
		writeStrings(w, row)
		w.WriteByte('\n')
		_, err := w.Write(nil)
		return err
	})
	if err != nil {
		return err
	}
	if first {
		w.WriteString(" []\n")
	}
	return nil
}

// writeStrings writes a row as a JSON array of strings on one line. Plain
// ASCII, the common case (result codes), is written as it is; anything else
// is escaped by encoding/json.
func writeStrings(w *bufio.Writer, row [][]byte) {
	w.WriteByte('[')
	for i, s := range row {
		if i > 0 {
			w.WriteString(", ")
		}
		if plainASCII(s) {
			w.WriteByte('"')
			w.Write(s)
			w.WriteByte('"')
			continue
		}
		b, _ := json.Marshal(string(s)) // a string always encodes
		w.Write(b)
	}
	w.WriteByte(']')
}

// plainASCII: s needs no escaping in JSON nor in a YAML double-quoted
// string.
func plainASCII(s []byte) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
