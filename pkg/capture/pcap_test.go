package capture

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func pcapBytes(packets ...[]byte) []byte {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], 113)
	b.Write(hdr)
	for _, p := range packets {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(p)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(p)))
		b.Write(rec)
		b.Write(p)
	}
	return b.Bytes()
}

func TestWriterKeepsWholeRecords(t *testing.T) {
	stream := pcapBytes([]byte("first packet"), []byte("second"))
	var out bytes.Buffer
	w := &Writer{W: &out}
	// Feed byte by byte, then cut the stream inside the second record.
	cut := len(stream) - 3
	for i := 0; i < cut; i++ {
		if _, err := w.Write(stream[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if p, n := w.Stats(); p != 1 || n != int64(len("first packet")) {
		t.Errorf("stats %d packets %d bytes", p, n)
	}
	want := pcapBytes([]byte("first packet"))
	if !bytes.Equal(out.Bytes(), want) || w.Dropped() != len(stream)-3-len(want) {
		t.Errorf("output %d bytes (want %d), dropped %d", out.Len(), len(want), w.Dropped())
	}
	if _, err := w.Write(stream[cut:]); err != nil || !bytes.Equal(out.Bytes(), stream) {
		t.Errorf("completing the stream: %v, %d bytes", err, out.Len())
	}
}

func TestWriterRejectsNonPcap(t *testing.T) {
	w := &Writer{W: &bytes.Buffer{}}
	if _, err := w.Write([]byte("tcpdump: eth9: No such device exists\n")); err == nil {
		t.Error("text accepted as pcap")
	}
}
