package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// wantCorrupt fails the test unless err is a *statstore.CorruptError whose
// Path names table and the run.
func wantCorrupt(t *testing.T, what string, err error, table, run string) {
	t.Helper()
	var ce *statstore.CorruptError
	if !errors.As(err, &ce) || !strings.Contains(ce.Path, "table "+table) || !strings.Contains(ce.Path, fmt.Sprintf("run %q", run)) {
		t.Errorf("%s: got %v, want a *CorruptError naming table %s and run %q", what, err, table, run)
	}
}

// storeBoth stores training iterations 0..9 and validation iterations 10
// and 20 in run "run".
func storeBoth(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 10, 20)); err != nil {
		t.Fatal(err)
	}
}

// TestMetadataChecksum damages the stored metadata document so that it
// still decodes, to different metadata: every reader and the next write
// must report the damage instead of answering with the damaged metadata.
func TestMetadataChecksum(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, from, to string }{
		{"dataset name", `"crop_a"`, `"crop_c"`},
		{"threshold", `"0.5"`, `"0.4"`},
		{"direction", `"higher_is_better":false`, `"higher_is_better":true `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, url := openStore(t, Options{})
			storeBoth(t, s)
			execSQL(t, url, `UPDATE statstore_runs SET validation_metadata = replace(validation_metadata::text, $1, $2)::json`, tc.from, tc.to)
			doc := queryString(t, url, "SELECT validation_metadata::text FROM statstore_runs")
			if !strings.Contains(doc, tc.to) {
				t.Fatalf("damage %s -> %s not applied: %s", tc.from, tc.to, doc)
			}
			if _, err := decodeMetadata([]byte(doc)); err != nil {
				t.Fatalf("the damaged document must still decode, for the test to mean anything: %v", err)
			}
			_, err := s.RetrieveValidationScores(ctx, "run")
			wantCorrupt(t, "RetrieveValidationScores", err, "statstore_runs", "run")
			_, err = s.RetrieveValidationIterationScores(ctx, "run")
			wantCorrupt(t, "RetrieveValidationIterationScores", err, "statstore_runs", "run")
			err = s.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 10, 20, 30))
			wantCorrupt(t, "StoreValidationIterationScores", err, "statstore_runs", "run")
			if got := queryString(t, url, "SELECT validation_metadata::text FROM statstore_runs"); got != doc {
				t.Errorf("a refused write changed the document to %s", got)
			}
			// Training does not need the document: its reads and writes go on.
			if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)); err != nil {
				t.Errorf("StoreTrainingStats on a run whose metadata are damaged: %v", err)
			}
			if got, err := s.RetrieveTrainingStats(ctx, "run"); err != nil || got.Len() != 11 {
				t.Errorf("RetrieveTrainingStats: got %v, %v, want 11 entries", got, err)
			}
		})
	}
}

// queryString returns the one text value sql selects.
func queryString(t *testing.T, url, sql string, args ...any) string {
	t.Helper()
	var out string
	if err := connect(t, url).QueryRow(context.Background(), sql, args...).Scan(&out); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// setCounters writes a run's counters, and with fixCRC a checksum that
// matches them (as a buggy writer would), so that only the cross-checks
// with the stored rows can notice.
func setCounters(t *testing.T, url, run, set string, fixCRC bool) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, "UPDATE statstore_runs SET "+set+" WHERE name = $1", run); err != nil {
		t.Fatal(err)
	}
	if !fixCRC {
		return
	}
	var r runRow
	if err := conn.QueryRow(ctx, `SELECT training_count, trained_until, validation_count, validated_until
		FROM statstore_runs WHERE name = $1`, run).Scan(&r.TrainingCount, &r.TrainedUntil, &r.ValidationCount, &r.ValidatedUntil); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "UPDATE statstore_runs SET counters_crc32c = $2 WHERE name = $1", run, countersCRC(run, r)); err != nil {
		t.Fatal(err)
	}
}

// TestCounterChecks damages the run's counters: with their checksum left
// as it was, every reader of the row notices; with a checksum that matches
// the damaged counters, every read that has the rows at hand notices (a
// whole training read, the stride subsample's bounds, the validation
// scores, the next validation write). ListRuns, which reads the counters
// only, cannot tell a consistent row from a right one.
func TestCounterChecks(t *testing.T) {
	ctx := context.Background()
	type reader struct {
		name  string
		table string // the table a cross-check names
		read  func(s *Store) error
	}
	training := []reader{
		{"RetrieveTrainingStats", "statstore_runs", func(s *Store) error {
			_, err := s.RetrieveTrainingStats(ctx, "run")
			return err
		}},
		{"RetrieveTrainingRange whole", "statstore_runs", func(s *Store) error {
			_, err := s.RetrieveTrainingRange(ctx, "run", statstore.IterationRange{To: 1000})
			return err
		}},
		{"SubsampleTraining min/max", "statstore_runs", func(s *Store) error {
			_, err := s.SubsampleTraining(ctx, "run", statstore.SubsampleOptions{MaxPoints: 4, Mode: statstore.SubsampleMinMax})
			return err
		}},
	}
	stride := reader{"SubsampleTraining stride", "statstore_runs", func(s *Store) error {
		_, err := s.SubsampleTraining(ctx, "run", statstore.SubsampleOptions{MaxPoints: 4})
		return err
	}}
	validation := []reader{
		{"RetrieveValidationScores", "statstore_runs", func(s *Store) error {
			_, err := s.RetrieveValidationScores(ctx, "run")
			return err
		}},
		{"StoreValidationIterationScores", "statstore_runs", func(s *Store) error {
			return s.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 10, 20, 30))
		}},
	}
	listRuns := reader{"ListRuns", "statstore_runs", func(s *Store) error {
		_, err := s.ListRuns(ctx)
		return err
	}}
	storeTraining := reader{"StoreTrainingStats", "statstore_runs", func(s *Store) error {
		return s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))
	}}
	tests := []struct {
		set string
		// checked lists the readers that must notice a damage whose
		// checksum matches.
		checked []reader
	}{
		{"training_count = training_count + 1", training},
		{"training_count = training_count - 1", training},
		{"trained_until = trained_until + 1", append(training, stride)},
		{"trained_until = trained_until - 1", append(training, stride)},
		{"validation_count = validation_count + 1", validation},
		{"validation_count = validation_count - 1", validation},
		{"validated_until = validated_until + 1", validation},
		{"validated_until = validated_until - 1", validation},
	}
	all := append(append(append([]reader{}, training...), stride, listRuns, storeTraining), validation...)
	for _, tc := range tests {
		t.Run(tc.set+"/stale checksum", func(t *testing.T) {
			s, url := openStore(t, Options{})
			storeBoth(t, s)
			setCounters(t, url, "run", tc.set, false)
			for _, r := range all {
				wantCorrupt(t, r.name, r.read(s), r.table, "run")
			}
		})
		t.Run(tc.set+"/matching checksum", func(t *testing.T) {
			s, url := openStore(t, Options{})
			storeBoth(t, s)
			setCounters(t, url, "run", tc.set, true)
			for _, r := range tc.checked {
				wantCorrupt(t, r.name, r.read(s), r.table, "run")
			}
		})
	}
}

// TestScoresArrayChecks damages one stored scores array: the reader and the
// next write report the table, run and iteration.
func TestScoresArrayChecks(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, set string }{
		{"shorter", "scores = trim_array(scores, 1)"},
		{"longer", "scores = scores || 0.5::float8"},
		{"empty", "scores = '{}'"},
		{"NULL element", "scores[3] = NULL"},
		{"two dimensions", "scores = ARRAY[scores[1:9], scores[10:18]]"},
		// Migration 0011: a score changed into another float, or the
		// row's checksum damaged, no longer reads as it is.
		{"one score changed", "scores[2] = scores[2] + 1"},
		{"one score's sign flipped", "scores[5] = -scores[5]"},
		{"scores swapped", "scores[1] = scores[2], scores[2] = scores[1]"},
		{"checksum damaged", "scores_crc32c = scores_crc32c # 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, url := openStore(t, Options{})
			storeBoth(t, s)
			execSQL(t, url, "UPDATE statstore_validation SET "+tc.set+" WHERE iteration = 20")
			_, err := s.RetrieveValidationScores(ctx, "run")
			wantCorrupt(t, "RetrieveValidationScores", err, "statstore_validation", "run")
			var ce *statstore.CorruptError
			if errors.As(err, &ce) && !strings.Contains(ce.Path, "iteration 20") {
				t.Errorf("got %v, want it to name iteration 20", err)
			}
			// The next write is not acknowledged on top of scores that do
			// not read back.
			err = s.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 10, 20, 30))
			wantCorrupt(t, "StoreValidationIterationScores", err, "statstore_validation", "run")
			if errors.As(err, &ce) && !strings.Contains(ce.Path, "iteration 20") {
				t.Errorf("got %v, want it to name iteration 20", err)
			}
		})
	}
}

// TestScoresChecksumLegacy: a validation row written before migration 0011
// has no checksum: it reads as it did, and a write that replaces it stores
// one.
func TestScoresChecksumLegacy(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	storeBoth(t, s)
	want, err := s.RetrieveValidationScores(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	execSQL(t, url, "UPDATE statstore_validation SET scores_crc32c = NULL")
	got, err := s.RetrieveValidationScores(ctx, "run")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("rows without checksums: %v, %v; want them read as before", got, err)
	}
	execSQL(t, url, "UPDATE statstore_validation SET scores[1] = scores[1] + 1 WHERE iteration = 10")
	if _, err := s.RetrieveValidationScores(ctx, "run"); err != nil {
		t.Fatalf("a changed score of a row without a checksum: %v (read as it is: left to PostgreSQL's page checksums)", err)
	}
	// A merge that replaces iteration 20 writes its checksum.
	if err := s.StoreValidationIterationScores(ctx, "run", storetest.ScoresVersion(storetest.Metadata(), 1, 20)); err != nil {
		t.Fatal(err)
	}
	var n int
	conn := connect(t, url)
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM statstore_validation WHERE iteration = 20 AND scores_crc32c IS NOT NULL").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows of iteration 20 with a checksum after the merge: %d (%v), want 1", n, err)
	}
	execSQL(t, url, "UPDATE statstore_validation SET scores[1] = scores[1] + 1 WHERE iteration = 20")
	_, err = s.RetrieveValidationScores(ctx, "run")
	wantCorrupt(t, "RetrieveValidationScores", err, "statstore_validation", "run")
}

// TestLegacyRows: rows written before migration 0002 have no checksums.
// They read as before; the next write checks their counters against the
// rows once and then stores both checksums.
func TestLegacyRows(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	storeBoth(t, s)
	want, err := s.RetrieveValidationScores(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	execSQL(t, url, "UPDATE statstore_runs SET counters_crc32c = NULL, validation_metadata_crc32c = NULL")
	got, err := s.RetrieveValidationScores(ctx, "run")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("a row without checksums: got %v, %v, want the stored scores", got, err)
	}
	if runs, err := s.ListRuns(ctx); err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns of a row without checksums: got %v, %v, want the run", runs, err)
	}
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)); err != nil {
		t.Fatal(err)
	}
	if n := queryString(t, url, "SELECT count(counters_crc32c)::text FROM statstore_runs"); n != "1" {
		t.Errorf("a training write left the counters without a checksum")
	}
	if err := s.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 10, 20, 30)); err != nil {
		t.Fatal(err)
	}
	if n := queryString(t, url, "SELECT count(validation_metadata_crc32c)::text FROM statstore_runs"); n != "1" {
		t.Errorf("a validation write left the metadata without a checksum")
	}
	// Both checksums are right: damage is detected again.
	execSQL(t, url, `UPDATE statstore_runs SET validation_metadata = replace(validation_metadata::text, 'crop_a', 'crop_c')::json`)
	_, err = s.RetrieveValidationScores(ctx, "run")
	wantCorrupt(t, "RetrieveValidationScores after the checksums were filled in", err, "statstore_runs", "run")

	// Counters of a row without checksums that do not match its rows:
	// the write refuses instead of storing a checksum of them.
	s2, url2 := openStore(t, Options{})
	storeBoth(t, s2)
	execSQL(t, url2, "UPDATE statstore_runs SET counters_crc32c = NULL, trained_until = trained_until + 1")
	err = s2.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))
	wantCorrupt(t, "StoreTrainingStats on legacy counters that do not match", err, "statstore_runs", "run")
	if n := queryString(t, url2, "SELECT count(counters_crc32c)::text FROM statstore_runs"); n != "0" {
		t.Errorf("a refused write stored a checksum of damaged counters")
	}
}
