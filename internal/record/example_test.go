package record_test

import (
	"bytes"
	"fmt"

	"github.com/statstore/statstore/internal/record"
)

// A file cut inside its last record is a torn tail; the same file with one
// bit of that record flipped is corruption at the record's offset.
func ExampleLayout_CheckTail() {
	l := record.Layout{Base: 32, Unit: 1}
	file := make([]byte, l.Base)
	file, end, _ := l.Append(file, l.Base, []byte("first record"))
	file, _, _ = l.Append(file, end, []byte("second record"))

	cut := file[:len(file)-3]
	bad, _ := l.CheckTail(bytes.NewReader(cut), end, int64(len(cut)))
	fmt.Println("cut:", bad == nil)

	flipped := bytes.Clone(file)
	flipped[len(flipped)-1] ^= 1
	bad, _ = l.CheckTail(bytes.NewReader(flipped), end, int64(len(flipped)))
	fmt.Println("flipped:", bad.Offset == end, bad.Reason)
	// Output:
	// cut: true
	// flipped: true full chunk of 13 bytes fails its checksum
}
