package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// The damage sweep of the PostgreSQL backend (issue 10: "the same sweep for
// the PostgreSQL backend's decoders where it applies"). What the backend
// decodes from stored data, rather than taking from PostgreSQL's typed
// columns, is the run's validation metadata document, the flattened scores
// arrays (reshaped by the document's shape) and the run's counters, which
// ListRuns and the next write trust without reading the history. The
// sweep damages each of them in a run with training and validation and
// checks that every reader and the next writes either give the identical
// answer or fail with a *statstore.CorruptError naming the table and run:
// never a different answer with success, never a write acknowledged and
// then not read back, and a refused write changes nothing.
//
// By default one bit of every byte of the metadata document is flipped
// (the bit rotates with the offset); STATSTORE_SWEEP=full flips every bit.
// A flip that PostgreSQL refuses to store (invalid UTF-8, a NUL, invalid
// JSON) is counted as refused by the database. Flipped bits inside stored
// float8s are not swept here: the rows' and blocks' checksums catch them
// (TestScoresArrayChecks, TestChunkDamage, TestChunkReadChecksums).

const sweepRunName = "run"

// sweepReader is one read of the run; part is the part whose write it
// reads back ("training", "validation"; "" for none).
type sweepReader struct {
	name, part string
	read       func(ctx context.Context, s *Store) (string, error)
}

func sweepReaders() []sweepReader {
	const run = sweepRunName
	training := func(name string, read func(ctx context.Context, s *Store) ([]statstore.TrainingIterationStats, error)) sweepReader {
		return sweepReader{name, "training", func(ctx context.Context, s *Store) (string, error) {
			got, err := read(ctx, s)
			return fmt.Sprint(got), err
		}}
	}
	return []sweepReader{
		training("RetrieveTrainingStats", func(ctx context.Context, s *Store) ([]statstore.TrainingIterationStats, error) {
			st, err := s.RetrieveTrainingStats(ctx, run)
			if err != nil {
				return nil, err
			}
			return st.IterationStats, nil
		}),
		training("RetrieveTrainingRange", func(ctx context.Context, s *Store) ([]statstore.TrainingIterationStats, error) {
			st, err := s.RetrieveTrainingRange(ctx, run, statstore.IterationRange{From: 5, To: 12})
			if err != nil {
				return nil, err
			}
			return st.IterationStats, nil
		}),
		training("SubsampleTraining stride", func(ctx context.Context, s *Store) ([]statstore.TrainingIterationStats, error) {
			return s.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: 6})
		}),
		training("SubsampleTraining min/max", func(ctx context.Context, s *Store) ([]statstore.TrainingIterationStats, error) {
			return s.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: 6, Mode: statstore.SubsampleMinMax})
		}),
		{"RetrieveValidationScores and its best report", "validation", func(ctx context.Context, s *Store) (string, error) {
			v, err := s.RetrieveValidationScores(ctx, run)
			if err != nil {
				return "", err
			}
			return renderScores(v) + fmt.Sprintf("best %+v", v.BestReport()), nil
		}},
		{"RetrieveValidationIterationScores", "validation", func(ctx context.Context, s *Store) (string, error) {
			v, err := s.RetrieveValidationIterationScores(ctx, run)
			return fmt.Sprintf("%+v", v), err
		}},
		{"ListRuns", "", func(ctx context.Context, s *Store) (string, error) {
			runs, err := s.ListRuns(ctx)
			for i := range runs {
				// The time of the last write changes with every rebuild and
				// is no answer about the data (it is outside the checksum).
				runs[i].LastWrite = time.Time{}
			}
			return fmt.Sprintf("%+v", runs), err
		}},
	}
}

// renderScores renders validation scores with their metadata for
// comparison (%v would print the bounds' pointers).
func renderScores(v *statstore.ValidationScores) string {
	var b strings.Builder
	fmt.Fprintf(&b, "datasets %q\n", v.Datasets)
	for _, p := range v.Parameters {
		fmt.Fprintf(&b, "parameters %d %q %q:", p.ID, p.Name, p.DisplayName())
		for _, x := range p.Values {
			fmt.Fprintf(&b, " %q=%#v", x.Name, x.Value)
		}
		b.WriteString("\n")
	}
	bound := func(x *float64) string {
		if x == nil {
			return "open"
		}
		return strconv.FormatFloat(*x, 'g', -1, 64)
	}
	for _, c := range v.EvaluationScores {
		fmt.Fprintf(&b, "criterion %q higher %v [%s, %s] store_best %v\n", c.Name, c.HigherIsBetter, bound(c.Bounds.Lower), bound(c.Bounds.Upper), c.StoreBest)
	}
	fmt.Fprintf(&b, "scores %v\n", v.Scores)
	return b.String()
}

// sweepWrite is one next write of the run and the part it writes.
type sweepWrite struct {
	name, part string
	write      func(ctx context.Context, s *Store) error
}

var sweepTraining = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}

func sweepWrites() []sweepWrite {
	return []sweepWrite{
		{"StoreValidationIterationScores", "validation", func(ctx context.Context, s *Store) error {
			return s.StoreValidationIterationScores(ctx, sweepRunName, storetest.Scores(storetest.Metadata(), 0, 100, 200, 300))
		}},
		{"StoreTrainingStats", "training", func(ctx context.Context, s *Store) error {
			return s.StoreTrainingStats(ctx, sweepRunName, storetest.Training(append(sweepTraining, 20)...))
		}},
	}
}

// storeSweepBase stores the swept run: 20 training iterations and 3
// validated checkpoints.
func storeSweepBase(ctx context.Context, s *Store) error {
	if err := s.StoreTrainingStats(ctx, sweepRunName, storetest.Training(sweepTraining...)); err != nil {
		return err
	}
	return s.StoreValidationIterationScores(ctx, sweepRunName, storetest.Scores(storetest.Metadata(), 0, 100, 200))
}

// dumpQuery renders everything stored for the run (ids left out: a
// rebuilt run gets new ones) to compare states.
const dumpQuery = `SELECT concat_ws(E'\n',
	(SELECT concat_ws(' ', training_count, trained_until, validation_count, validated_until,
		validation_metadata::text, counters_crc32c, validation_metadata_crc32c) FROM statstore_runs WHERE name = $1),
	(SELECT string_agg(concat_ws(' ', first_iteration, last_iteration, entries, step, data, crc32c), ';' ORDER BY first_iteration)
		FROM statstore_training_chunks t JOIN statstore_runs r ON r.id = t.run_id WHERE r.name = $1),
	(SELECT string_agg(concat_ws(' ', iteration, array_send(scores)), ';' ORDER BY iteration)
		FROM statstore_validation v JOIN statstore_runs r ON r.id = v.run_id WHERE r.name = $1))`

// sweepDamage is one damage: an SQL statement and its arguments; undo
// restores the run as it was.
type sweepDamage struct {
	what      string
	sql, undo string
	args      []any
	undoArgs  []any
	// decodes is true for a damaged metadata document that still decodes
	// as metadata (only the checksum can tell).
	decodes bool
}

// sweepCounts are the sweep's outcomes.
type sweepCounts struct {
	tried, detected, refused, harmless, silent int
	// decodes counts the detected document flips that still decode as
	// metadata: without the checksum they would be a different answer.
	decodes int
}

func TestDamageSweep(t *testing.T) {
	ctx := context.Background()
	full := os.Getenv("STATSTORE_SWEEP") == "full"
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	if err := storeSweepBase(ctx, s); err != nil {
		t.Fatal(err)
	}
	dump := func() string {
		t.Helper()
		var out string
		if err := conn.QueryRow(ctx, dumpQuery, sweepRunName).Scan(&out); err != nil {
			t.Fatalf("dump the run: %v", err)
		}
		return out
	}
	base := dump()
	readers, writes := sweepReaders(), sweepWrites()
	want := map[string]string{}
	for _, r := range readers {
		got, err := r.read(ctx, s)
		if err != nil {
			t.Fatalf("%s of the intact run: %v", r.name, err)
		}
		want[r.name] = got
	}
	// What each part's readers show after its next write on the intact run.
	wantNext := map[string]string{}
	for _, w := range writes {
		if err := w.write(ctx, s); err != nil {
			t.Fatalf("%s on the intact run: %v", w.name, err)
		}
		for _, r := range readers {
			if r.part == w.part {
				got, err := r.read(ctx, s)
				if err != nil {
					t.Fatalf("%s after %s on the intact run: %v", r.name, w.name, err)
				}
				wantNext[r.name] = got
			}
		}
	}
	rebuild := func() {
		t.Helper()
		if err := s.DeleteRun(ctx, sweepRunName); err != nil {
			t.Fatal(err)
		}
		if err := storeSweepBase(ctx, s); err != nil {
			t.Fatal(err)
		}
		if got := dump(); got != base {
			t.Fatalf("the rebuilt run differs from the first:\n%s\nwant\n%s", got, base)
		}
	}
	rebuild()
	// The readers' answers are deterministic: the sweep can tell a
	// different answer from the same one.
	for _, r := range readers {
		if got, err := r.read(ctx, s); err != nil || got != want[r.name] {
			t.Fatalf("%s of the rebuilt run: got %s (error %v), want %s", r.name, got, err, want[r.name])
		}
	}

	var counts sweepCounts
	for _, d := range sweepDamages(t, conn, full) {
		counts.tried++
		if _, err := conn.Exec(ctx, d.sql, d.args...); err != nil {
			counts.refused++
			if got := dump(); got != base {
				t.Fatalf("%s: refused by the database (%v) but the run changed", d.what, err)
			}
			continue
		}
		outcome, dirty := checkSweepDamage(ctx, t, s, d, readers, writes, want, wantNext, dump)
		switch outcome {
		case "detected":
			counts.detected++
			if d.decodes {
				counts.decodes++
			}
		case "harmless":
			counts.harmless++
		default:
			counts.silent++
			t.Errorf("%s: %s", d.what, outcome)
			if counts.silent > 5 {
				t.FailNow()
			}
		}
		if dirty {
			rebuild()
			continue
		}
		if _, err := conn.Exec(ctx, d.undo, d.undoArgs...); err != nil {
			t.Fatalf("%s: undo: %v", d.what, err)
		}
		if got := dump(); got != base {
			t.Fatalf("%s: the undone run differs:\n%s\nwant\n%s", d.what, got, base)
		}
	}
	t.Logf("damage sweep (full: %v): %d damages tried, %d detected (%d of them metadata documents that still decode, caught by the checksum), "+
		"%d refused by the database, %d harmless (identical answers), %d silent",
		full, counts.tried, counts.detected, counts.decodes, counts.refused, counts.harmless, counts.silent)
	if counts.silent != 0 {
		t.Errorf("%d of %d damages silent, want 0", counts.silent, counts.tried)
	}
	if counts.detected == 0 || counts.decodes == 0 {
		t.Errorf("nothing detected: the sweep damaged nothing that matters")
	}
}

// sweepDamages lists the damages: bit flips of the metadata document and
// of both checksums, counters off by one both ways, and scores arrays one
// element shorter or longer, empty, with a NULL, or reshaped.
func sweepDamages(t *testing.T, conn *pgx.Conn, full bool) []sweepDamage {
	t.Helper()
	ctx := context.Background()
	var doc string
	var countersSum, metaSum int64
	if err := conn.QueryRow(ctx, `SELECT validation_metadata::text, counters_crc32c, validation_metadata_crc32c
		FROM statstore_runs WHERE name = $1`, sweepRunName).Scan(&doc, &countersSum, &metaSum); err != nil {
		t.Fatal(err)
	}
	const where = " WHERE name = '" + sweepRunName + "'"
	var out []sweepDamage
	for off := range len(doc) {
		bits := []int{off % 8}
		if full {
			bits = []int{0, 1, 2, 3, 4, 5, 6, 7}
		}
		for _, bit := range bits {
			b := []byte(doc)
			b[off] ^= 1 << bit
			_, decErr := decodeMetadata(b)
			out = append(out, sweepDamage{
				what: fmt.Sprintf("bit %d of byte %d of %d of the metadata document flipped (%q)", bit, off, len(doc), excerpt(b, off)),
				sql:  "UPDATE statstore_runs SET validation_metadata = $1" + where, args: []any{string(b)},
				undo: "UPDATE statstore_runs SET validation_metadata = $1" + where, undoArgs: []any{doc},
				decodes: decErr == nil,
			})
		}
	}
	for _, col := range []struct {
		name string
		sum  int64
	}{{"counters_crc32c", countersSum}, {"validation_metadata_crc32c", metaSum}} {
		for bit := range 32 {
			out = append(out, sweepDamage{
				what: fmt.Sprintf("bit %d of %s flipped", bit, col.name),
				sql:  "UPDATE statstore_runs SET " + col.name + " = $1" + where, args: []any{col.sum ^ 1<<bit},
				undo: "UPDATE statstore_runs SET " + col.name + " = $1" + where, undoArgs: []any{col.sum},
			})
		}
	}
	for _, col := range []string{"training_count", "trained_until", "validation_count", "validated_until"} {
		for _, delta := range []string{"+ 1", "- 1"} {
			undo := "- 1"
			if delta == "- 1" {
				undo = "+ 1"
			}
			out = append(out, sweepDamage{
				what: fmt.Sprintf("%s %s", col, delta),
				sql:  "UPDATE statstore_runs SET " + col + " = " + col + " " + delta + where,
				undo: "UPDATE statstore_runs SET " + col + " = " + col + " " + undo + where,
			})
		}
	}
	for _, it := range []int{0, 100, 200} {
		var scores []float64
		if err := conn.QueryRow(ctx, `SELECT scores FROM statstore_validation v JOIN statstore_runs r ON r.id = v.run_id
			WHERE r.name = $1 AND iteration = $2`, sweepRunName, it).Scan(&scores); err != nil {
			t.Fatal(err)
		}
		for _, d := range []struct{ what, set string }{
			{"one element shorter", "trim_array(scores, 1)"},
			{"one element longer", "scores || scores[1]"},
			{"empty", "'{}'"},
			{"with a NULL element", "scores[1:1] || ARRAY[NULL::float8] || scores[3:]"},
			{"of two dimensions", "ARRAY[scores[1:9], scores[10:18]]"},
		} {
			const whereIt = " WHERE iteration = $1 AND run_id = (SELECT id FROM statstore_runs WHERE name = '" + sweepRunName + "')"
			out = append(out, sweepDamage{
				what: fmt.Sprintf("scores of iteration %d %s", it, d.what),
				sql:  "UPDATE statstore_validation SET scores = " + d.set + whereIt, args: []any{it},
				undo: "UPDATE statstore_validation SET scores = $2" + whereIt, undoArgs: []any{it, scores},
			})
		}
	}
	return out
}

// excerpt returns the bytes of b around off.
func excerpt(b []byte, off int) []byte {
	return b[max(0, off-12):min(len(b), off+12)]
}

// checkSweepDamage reads and writes the damaged run. It returns "detected"
// when a reader or a write reports the damage with a *CorruptError naming
// the table and run (the other readers giving the identical answer),
// "harmless" when every answer is identical and every write reads back,
// and otherwise a description of the silent failure. dirty reports that a
// write was acknowledged (the run must be rebuilt).
func checkSweepDamage(ctx context.Context, t *testing.T, s *Store, d sweepDamage, readers []sweepReader, writes []sweepWrite,
	want, wantNext map[string]string, dump func() string) (outcome string, dirty bool) {
	t.Helper()
	namesRun := func(err error) bool {
		var ce *statstore.CorruptError
		return errors.As(err, &ce) && strings.Contains(ce.Path, "table statstore_") && strings.Contains(ce.Path, fmt.Sprintf("run %q", sweepRunName))
	}
	detected := false
	for _, r := range readers {
		got, err := r.read(ctx, s)
		switch {
		case err != nil && !namesRun(err):
			return fmt.Sprintf("%s: error %v names no table and run", r.name, err), false
		case err != nil:
			detected = true
		case got != want[r.name]:
			return fmt.Sprintf("%s succeeded with a different answer:\n%s\nwant\n%s", r.name, got, want[r.name]), false
		}
	}
	for _, w := range writes {
		before := dump()
		err := w.write(ctx, s)
		if err != nil {
			if !namesRun(err) {
				return fmt.Sprintf("%s: error %v names no table and run", w.name, err), dirty
			}
			if got := dump(); got != before {
				return fmt.Sprintf("%s was refused (%v) but changed the run", w.name, err), dirty
			}
			detected = true
			continue
		}
		dirty = true
		for _, r := range readers {
			if r.part != w.part {
				continue
			}
			got, err := r.read(ctx, s)
			if err != nil || got != wantNext[r.name] {
				return fmt.Sprintf("%s was acknowledged but %s does not read it back (error %v):\n%s\nwant\n%s",
					w.name, r.name, err, got, wantNext[r.name]), dirty
			}
		}
	}
	if detected {
		return "detected", dirty
	}
	return "harmless", dirty
}
