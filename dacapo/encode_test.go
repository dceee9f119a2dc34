package dacapo

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	pickle "github.com/kisielk/og-rek"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// longRun returns n training entries: NaN losses, iterations beyond 32 bits,
// ints of every BININT width.
func longRun(n int) []statstore.TrainingIterationStats {
	out := make([]statstore.TrainingIterationStats, n)
	for i := range out {
		it := i * 3
		if i == n-1 && n > 1 {
			it = 1 << 40
		}
		loss := float64(i) / 7
		if i%97 == 5 {
			loss = math.NaN()
		}
		out[i] = statstore.TrainingIterationStats{Iteration: it, Loss: loss, Time: float64(i) * 0.25}
	}
	return out
}

func storeWith(t *testing.T, run string, training []statstore.TrainingIterationStats, scores []statstore.ValidationIterationScores) *memstore.Store {
	t.Helper()
	ctx := context.Background()
	s := memstore.New(nil)
	if len(training) > 0 {
		if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: training}); err != nil {
			t.Fatal(err)
		}
	}
	if len(scores) > 0 {
		meta := statstore.GenericMetadata(len(scores[0].Scores), len(scores[0].Scores[0]), len(scores[0].Scores[0][0]))
		if err := s.StoreValidationIterationScores(ctx, run, &statstore.ValidationScores{Metadata: meta, Scores: scores}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestExportReproducible: the same content exports to the same bytes,
// twice from one store and from two stores (a memory store and the DaCapo
// directory exported from it); the bytes are those Python's pickle.dumps
// writes for the loaded list (checked with python3 when present); 100,000
// iterations (issue 16: one MARK for all of them did not read back) round
// trip through statstore and Python.
func TestExportReproducible(t *testing.T) {
	ctx := context.Background()
	python, _ := exec.LookPath("python3")
	if python == "" {
		t.Log("python3 not found: the exports are not compared with Python's pickle.dumps")
	}
	var scores []statstore.ValidationIterationScores
	for i := range 40 {
		scores = append(scores, statstore.ValidationIterationScores{Iteration: i * 1000, Scores: [][][]float64{
			{{float64(i) / 3, 0.5, math.NaN()}, {1, 2, float64(i)}},
			{{0.25, 0.75, 1e-300}, {-0.0, math.Inf(1), 3}},
		}})
	}
	for _, n := range []int{1, 2, 999, 1000, 1001, 2001, 100_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			run := "run é " + strconv.Itoa(n)
			training := longRun(n)
			src := storeWith(t, run, training, scores[:min(len(scores), n)])
			a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
			for _, dir := range []string{a, b} {
				if err := Export(ctx, src, dir, nil); err != nil {
					t.Fatal(err)
				}
			}
			back := mustOpen(t, a, Options{})
			if err := Export(ctx, back, c, nil); err != nil {
				t.Fatal(err)
			}
			got, err := back.RetrieveTrainingStats(ctx, run)
			if err != nil {
				t.Fatalf("reading the export back: %v", err)
			}
			if got.Len() != n || got.IterationStats[n-1].Iteration != training[n-1].Iteration || !sameFloat(got.IterationStats[n/2].Loss, training[n/2].Loss) {
				t.Errorf("read back %d entries (last %+v), want %d (last %+v)", got.Len(), got.IterationStats[got.Len()-1], n, training[n-1])
			}
			for _, sub := range []string{TrainingDir, ValidationDir} {
				pa := filepath.Join(a, sub, run)
				da, err := os.ReadFile(pa)
				if err != nil {
					t.Fatal(err)
				}
				for _, other := range []string{b, c} {
					d, err := os.ReadFile(filepath.Join(other, sub, run))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(da, d) {
						t.Errorf("%s: exports of the same content differ (%d and %d bytes)", sub, len(da), len(d))
					}
				}
				if python == "" {
					continue
				}
				// Python loads the export, counts it and pickles the list
				// again: the bytes must be the same.
				script := `import pickle, sys
data = open(sys.argv[1], "rb").read()
docs = pickle.loads(data)
again = pickle.dumps(docs, protocol=4)
if again != data:
    i = next((i for i in range(min(len(again), len(data))) if again[i] != data[i]), min(len(again), len(data)))
    sys.exit("pickle.dumps writes other bytes from offset %d: %r, statstore %r" % (i, again[i:i+16], data[i:i+16]))
print(len(docs))
`
				out, err := exec.Command(python, "-c", script, pa).CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", sub, err, out)
				}
				want := n
				if sub == ValidationDir {
					want = min(len(scores), n)
				}
				if string(bytes.TrimSpace(out)) != strconv.Itoa(want) {
					t.Errorf("%s: Python read %s documents, want %d", sub, out, want)
				}
			}
		})
	}
}

// TestUnbatchedList: a list written with one MARK for all its entries, as
// other tools (og-rek's encoder, which Export used before) write it, reads
// whatever its length: the stack is bounded by the decoded size.
func TestUnbatchedList(t *testing.T) {
	const n = 100_000
	docs := make([]any, n)
	for i := range docs {
		docs[i] = map[string]any{keyIteration: int64(i), keyLoss: float64(i) / 2, keyTime: 1.5, keyRunName: "r"}
	}
	var buf bytes.Buffer
	if err := pickle.NewEncoderWithConfig(&buf, &pickle.EncoderConfig{Protocol: 4}).Encode(docs); err != nil {
		t.Fatal(err)
	}
	got, err := decodeTraining(context.Background(), buf.Bytes(), defaultLimit(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || got[n-1].stats.Iteration != n-1 || got[n-1].stats.Loss != float64(n-1)/2 {
		t.Errorf("got %d entries, the last %+v; want %d", len(got), got[len(got)-1], n)
	}
}

// TestSyntheticTrainingIsPython: SyntheticTraining writes the bytes
// Python's pickle.dumps writes for the same documents with numpy 1
// float64 losses (numpy's bytes, written by make_pickles.py's stand-ins).
func TestSyntheticTrainingIsPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: SyntheticTraining is only read back")
	}
	const n = 3000 // several frames, batches and LONG_BINGETs
	data := SyntheticTraining("bench", n)
	docs, err := decodeTraining(context.Background(), data, defaultLimit(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != n || docs[n-1].stats.Loss != 1.0/n || docs[n-1].stats.Time != float64(n-1)/4 || docs[n-1].runName != "bench" {
		t.Fatalf("read back %d entries, the last %+v", len(docs), docs[len(docs)-1])
	}
	if python == "" {
		return
	}
	out := filepath.Join(t.TempDir(), "py.pickle")
	script := `import pickle, sys
sys.path.insert(0, "testdata")
import make_pickles as m
n = int(sys.argv[2])
docs = [{"iteration": i, "loss": m.np64(1.0 / (i + 1)), "time": i / 4, "run_name": "bench"} for i in range(n)]
open(sys.argv[1], "wb").write(pickle.dumps(docs, protocol=4))
`
	if msg, err := exec.Command(python, "-c", script, out, strconv.Itoa(n)).CombinedOutput(); err != nil {
		t.Fatalf("python3: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		i := 0
		for i < min(len(data), len(want)) && data[i] == want[i] {
			i++
		}
		t.Errorf("SyntheticTraining differs from Python's pickle from byte %d (%d and %d bytes)", i, len(data), len(want))
	}
}
