package filestore

import (
	"fmt"
	"testing"

	"github.com/statstore/statstore/internal/record"
)

// TestRecordBufRoom checks that recordBuf leaves room for the whole encoded
// record, so that Append never grows the slice, for payloads and start
// offsets around block and chunk boundaries, in every training layout.
func TestRecordBufRoom(t *testing.T) {
	for _, version := range []uint16{1, 2} {
		l := header{kind: kindTraining, version: version}.layout()
		for _, entries := range []int{1, 2, 20, 21, 170, 171, 1000, 10_000} {
			for _, end := range []int64{l.Base, l.Base + 1000, l.BlockOff(1) - 40, l.BlockOff(1) - 24, l.BlockOff(3) + 7} {
				t.Run(fmt.Sprintf("v%d/entries=%d/end=%d", version, entries, end), func(t *testing.T) {
					n := trainingHeadSize + entries*trainingEntrySize
					prefix := []byte("prefix")
					buf := recordBuf(l, prefix, n)
					out, _, _ := l.Append(buf, end, make([]byte, n))
					if cap(out) != cap(buf) {
						t.Errorf("Append grew the buffer from %d to %d bytes for %d bytes of payload", cap(buf), cap(out), n)
					}
					if string(out[:len(prefix)]) != string(prefix) {
						t.Errorf("prefix %q lost: got %q", prefix, out[:len(prefix)])
					}
					if len(out) < len(prefix)+n+record.HeaderSize {
						t.Errorf("record of %d bytes for a payload of %d", len(out)-len(prefix), n)
					}
				})
			}
		}
	}
}
