package record

import (
	"slices"
	"testing"
)

// TestSalvage damages one chunk of a file of several records at a time and
// checks that Salvage hands out every other chunk as it is, and the
// damaged one as a span that its intact header measures.
func TestSalvage(t *testing.T) {
	var payloads [][]byte
	for i := range 12 {
		payloads = append(payloads, append(make([]byte, 8), entries(i*1000, 1+i*37%300)...))
	}
	l := Layout{Base: 32, Head: 8, Unit: 24, MaxPayload: 505}
	file, ends := build(t, l, payloads)
	var chunks []Chunk
	sc := l.NewScanner(l.Base, ends[len(ends)-1])
	if err := sc.Feed(file[l.Base:], func(c Chunk) error { chunks = append(chunks, c); return nil }); err != nil {
		t.Fatal(err)
	}
	salvage := func(data []byte) (got []int64, spans []Span) {
		l.Salvage(data, func(c Chunk) { got = append(got, c.Off) }, func(s Span) { spans = append(spans, s) })
		return got, spans
	}
	all := make([]int64, len(chunks))
	for i, c := range chunks {
		all[i] = c.Off
	}
	if got, spans := salvage(file); !slices.Equal(got, all) || len(spans) != 0 {
		t.Fatalf("undamaged file: chunks %v, spans %v; want every chunk and no span", got, spans)
	}
	for i, c := range chunks {
		for _, at := range []int64{c.Off + 1, c.Off + 6, c.End() - 1} { // checksum, type, payload
			damaged := slices.Clone(file)
			damaged[at] ^= 0x04
			got, spans := salvage(damaged)
			want := slices.Delete(slices.Clone(all), i, i+1)
			if !slices.Equal(got, want) || len(spans) != 1 || spans[0].Off != c.Off {
				t.Fatalf("chunk %d damaged at %d: chunks %v, spans %+v; want all but %d", i, at, got, spans, c.Off)
			}
			if len(spans[0].Lengths) != 1 || spans[0].Lengths[0] != len(c.Payload) {
				t.Fatalf("chunk %d damaged at %d: span lengths %v, want [%d]", i, at, spans[0].Lengths, len(c.Payload))
			}
		}
	}
}
