package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// pcap file format: a 24-byte global header, then records of a 16-byte
// header (incl_len at offset 8) followed by incl_len bytes of packet.
const (
	globalHeaderLen = 24
	recordHeaderLen = 16
	maxRecordLen    = 1 << 24 // far above any snaplen; larger means garbage
)

// Writer passes a pcap stream through to W one complete record at a time, so
// that whatever happens to the stream (Ctrl-C, a broken connection) the
// output is a valid pcap file: a partial trailing record is never written.
type Writer struct {
	W io.Writer

	mu      sync.Mutex
	buf     []byte
	order   binary.ByteOrder
	header  bool
	packets int64
	bytes   int64
	err     error
}

var errNotPcap = errors.New("the capture stream is not a pcap file (tcpdump failed? see its error output)")

// Write buffers p and flushes every complete record.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	if !w.header {
		if len(w.buf) < globalHeaderLen {
			return len(p), nil
		}
		switch binary.LittleEndian.Uint32(w.buf[:4]) {
		case 0xa1b2c3d4, 0xa1b23c4d: // microsecond, nanosecond
			w.order = binary.LittleEndian
		case 0xd4c3b2a1, 0x4d3cb2a1:
			w.order = binary.BigEndian
		default:
			w.err = errNotPcap
			return 0, w.err
		}
		if err := w.emit(globalHeaderLen); err != nil {
			return 0, err
		}
		w.header = true
	}
	for len(w.buf) >= recordHeaderLen {
		incl := w.order.Uint32(w.buf[8:12])
		if incl > maxRecordLen {
			w.err = fmt.Errorf("corrupt pcap record of %d bytes", incl)
			return 0, w.err
		}
		n := recordHeaderLen + int(incl)
		if len(w.buf) < n {
			break
		}
		if err := w.emit(n); err != nil {
			return 0, err
		}
		w.packets++
		w.bytes += int64(incl)
	}
	return len(p), nil
}

func (w *Writer) emit(n int) error {
	if _, err := w.W.Write(w.buf[:n]); err != nil {
		w.err = err
		return err
	}
	w.buf = append(w.buf[:0], w.buf[n:]...)
	return nil
}

// Stats returns the packets and packet bytes written so far.
func (w *Writer) Stats() (packets, bytes int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.packets, w.bytes
}

// Valid reports whether at least the pcap header was written.
func (w *Writer) Valid() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.header
}

// Dropped is how many bytes of an incomplete trailing record were held back.
func (w *Writer) Dropped() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.buf)
}
