package dacapo

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkDecodeTraining decodes a DaCapo training pickle (numpy.float64
// losses, Python's bytes: SyntheticTraining) with the fast decoder and with
// the general path (the scanner and og-rek) it falls back to, side by side.
// `statstore bench dacapo` compares the fast path with Python.
func BenchmarkDecodeTraining(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10_000, 300_000} {
		data := SyntheticTraining("bench", n)
		for _, path := range []struct {
			name   string
			decode func(context.Context, []byte, limit) ([]trainingDoc, error)
		}{{"fast", decodeTraining}, {"general", decodeTrainingGeneral}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, path.name), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					docs, err := path.decode(ctx, data, defaultLimit(data))
					if err != nil || len(docs) != n {
						b.Fatalf("%d documents, %v", len(docs), err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
			})
		}
	}
}
