package report

import "encoding/json"

// RowData is check Data too large to encode in one piece, such as the
// reachability matrix of thousands of pods (millions of flows): the
// printers encode its head, then add its rows as the head's last field,
// "rows", writing each row as EachRow yields it, so that the document is
// never whole in memory. MarshalJSON must give the same document in one
// piece, for any other encoder.
type RowData interface {
	json.Marshaler
	// RowsHead is the data without its rows: a value that encodes as a
	// JSON object.
	RowsHead() any
	// EachRow calls emit with each row in order, a row being a list of
	// strings as bytes, and stops at the first error emit returns,
	// returning it. The row is valid until emit returns: EachRow may
	// reuse its memory for the next one, so that a matrix of millions of
	// flows makes no garbage.
	EachRow(emit func(row [][]byte) error) error
}
