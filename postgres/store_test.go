package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, url string
		is        error
		want      string
	}{
		{"malformed URL", "postgres://%zz", statstore.ErrInvalidArgument, "connection URL"},
		{"no server", "postgres://postgres@/postgres?host=" + t.TempDir() + "&connect_timeout=5", statstore.ErrUnavailable, "cannot connect to PostgreSQL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(ctx, tc.url, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want it to wrap %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// connect opens a connection to the store's database, closed when the
// test ends.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// execSQL runs sql on the store's database.
func execSQL(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestCorruptRows(t *testing.T) {
	ctx := context.Background()
	meta := storetest.Metadata()
	tests := []struct {
		name   string
		damage string
		// appendFails: an append needs the stored metadata, and checks
		// that the stored scores read back, so it fails when either is
		// damaged.
		appendFails bool
	}{
		{"metadata does not decode", `UPDATE statstore_runs SET validation_metadata = '{"version": 9}'`, true},
		{"metadata missing", `UPDATE statstore_runs SET validation_metadata = NULL`, true},
		{"scores of the wrong length", `UPDATE statstore_validation SET scores = '{1,2,3}' WHERE iteration = 20`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, url := openStore(t, Options{})
			if err := s.StoreValidationIterationScores(ctx, "run", storetest.Scores(meta, 10, 20)); err != nil {
				t.Fatal(err)
			}
			execSQL(t, url, tc.damage)
			_, err := s.RetrieveValidationScores(ctx, "run")
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) || !strings.Contains(ce.Path, `"run"`) {
				t.Fatalf("retrieve: got %v, want a *CorruptError naming the run", err)
			}
			err = s.StoreValidationIterationScores(ctx, "run", storetest.Scores(meta, 10, 20, 30))
			if tc.appendFails != errors.Is(err, statstore.ErrCorrupt) {
				t.Errorf("append to the damaged run: got %v, want ErrCorrupt: %v", err, tc.appendFails)
			}
		})
	}
}

// logRecords returns a logger writing JSON records and a function listing
// the (level, msg) pairs written so far.
func logRecords() (*slog.Logger, func() []string) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return logger, func() []string {
		var out []string
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			var rec struct{ Level, Msg string }
			if json.Unmarshal(line, &rec) == nil {
				out = append(out, rec.Level+" "+rec.Msg)
			}
		}
		return out
	}
}

func TestLogsDecisions(t *testing.T) {
	ctx := context.Background()
	logger, records := logRecords()
	s, _ := openStore(t, Options{Logger: logger})
	meta := storetest.Metadata()
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"first training", func() error { return s.StoreTrainingStats(ctx, "r", storetest.Training(0, 1, 2)) }, "INFO extending training stats"},
		{"training append", func() error { return s.StoreTrainingStats(ctx, "r", storetest.Training(0, 1, 2, 3)) }, "INFO extending training stats"},
		{"training overwrite", func() error { return s.StoreTrainingStats(ctx, "r", storetest.Training(0, 1)) }, "WARN overwriting training stats"},
		{"validation merge", func() error {
			return s.StoreValidationIterationScores(ctx, "r", storetest.Scores(meta, 10))
		}, "INFO validation scores: merged"},
		{"late validation", func() error {
			return s.StoreValidationIterationScores(ctx, "r", storetest.Scores(meta, 5))
		}, "INFO validation scores: merged"},
		{"re-validation", func() error {
			return s.StoreValidationIterationScores(ctx, "r", storetest.ScoresVersion(meta, 1, 5))
		}, "WARN validation scores: re-validated iterations replace their stored scores"},
		{"training rewind", func() error { return s.StoreTrainingStats(ctx, "r", storetest.Training(0)) }, "WARN validation scores: training was resumed"},
		{"delete after", func() error { return s.DeleteValidationAfter(ctx, "r", 10) }, "INFO validation scores: deleted from an iteration on"},
		{"delete", func() error { return s.DeleteRun(ctx, "r") }, "INFO deleted run"},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		recs := records()
		if len(recs) == 0 || !strings.HasPrefix(recs[len(recs)-1], st.want) {
			t.Errorf("%s: last log record %q, want %q", st.name, recs, st.want)
		}
	}
}

// TestStrideSubsampleSeeks checks with EXPLAIN ANALYZE that the stride
// subsample reads at most one block per target from the index, however
// long the history.
func TestStrideSubsampleSeeks(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	const n, points = 20_000, 100
	st := &statstore.TrainingStats{}
	for i := range n {
		st.IterationStats = append(st.IterationStats, statstore.TrainingIterationStats{Iteration: 3 * i, Loss: float64(i)})
	}
	if err := s.StoreTrainingStats(ctx, "run", st); err != nil {
		t.Fatal(err)
	}
	targets := statstore.SubsampleTargets(0, 3*(n-1), points)
	t64 := make([]int64, len(targets))
	for i, x := range targets {
		t64[i] = int64(x)
	}
	conn := connect(t, url)
	var runID int64
	if err := conn.QueryRow(ctx, "SELECT id FROM statstore_runs WHERE name = 'run'").Scan(&runID); err != nil {
		t.Fatal(err)
	}
	// As the store does, in a transaction with indexOrder; the table has
	// not been analysed since the COPY, as right after a bulk append.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, indexOrder); err != nil {
		t.Fatal(err)
	}
	var plan []byte
	if err := tx.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+strideQuery, runID, t64).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var doc []struct{ Plan planNode }
	if err := json.Unmarshal(plan, &doc); err != nil || len(doc) != 1 {
		t.Fatalf("EXPLAIN output %s: %v", plan, err)
	}
	read := 0
	var walk func(p planNode)
	walk = func(p planNode) {
		if p.RelationName == chunkTable {
			if !strings.HasPrefix(p.NodeType, "Index") {
				t.Errorf("%s read by %s, want an index scan", chunkTable, p.NodeType)
			}
			read += int(p.ActualRows * p.ActualLoops)
		}
		for _, c := range p.Plans {
			walk(c)
		}
	}
	walk(doc[0].Plan)
	if read == 0 || read > len(targets) {
		t.Errorf("the stride query read %d blocks (of %d entries) for %d targets, want between 1 and %d", read, n, len(targets), len(targets))
	}
	got, err := s.SubsampleTraining(ctx, "run", statstore.SubsampleOptions{MaxPoints: points})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := statstore.Subsample(st.IterationStats, statstore.SubsampleOptions{MaxPoints: points})
	if !(&statstore.TrainingStats{IterationStats: got}).Equal(&statstore.TrainingStats{IterationStats: want}) {
		t.Errorf("SubsampleTraining differs from statstore.Subsample")
	}
}

type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	ActualRows   float64    `json:"Actual Rows"`
	ActualLoops  float64    `json:"Actual Loops"`
	Plans        []planNode `json:"Plans"`
}
