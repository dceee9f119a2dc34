package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/statstore/statstore"
)

var validationColumns = []string{"run_id", "iteration", "scores", "superseded", "scores_crc32c"}

// StoreValidationIterationScores merges scores into the run's validation
// scores (MergeValidationScores without its report).
func (s *Store) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := s.MergeValidationScores(ctx, run, scores)
	return err
}

// MergeValidationScores merges scores into the run's validation scores by
// iteration, as statstore.PlanValidation decides, and reports what it did.
// It is one transaction holding the run's lock: it reads the stored entries
// of the iterations the call mentions (not the whole history), inserts the
// new iterations with COPY and updates the replaced ones, each with the
// superseded mark it is sent with (false from a trainer; a copy of a store
// sends the marks it read). The metadata are stored with the run; scores whose
// metadata differ fail with statstore.ErrMetadataMismatch and write
// nothing.
func (s *Store) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (statstore.ValidationMerge, error) {
	what := fmt.Sprintf("store validation scores of run %q", run)
	if err := checkRun(what, run); err != nil {
		return statstore.ValidationMerge{}, err
	}
	s.rows.forget(run) // the counters change: no fast append next
	// Check the input before touching the database; empty scores change
	// nothing. As if nothing were stored, the plan inserts every iteration
	// the call mentions: those are the stored entries to read.
	mentioned, err := statstore.PlanValidation(statstore.Metadata{}, nil, scores)
	if err != nil {
		return statstore.ValidationMerge{}, fmt.Errorf("postgres: %s: %w", what, err)
	} else if mentioned.Action == statstore.WriteNothing {
		return statstore.ValidationMerge{}, nil
	}
	metaDoc, err := encodeMetadata(scores.Metadata)
	if err != nil {
		return statstore.ValidationMerge{}, fmt.Errorf("postgres: %s: metadata: %w", what, err)
	}
	var plan statstore.ValidationPlan
	err = s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		r, err := lockRunForWrite(ctx, tx, run)
		if err != nil {
			return err
		}
		was := r
		storedMeta, err := storedMetadata(run, r)
		if err != nil {
			return err
		}
		stored, err := storedEntries(ctx, tx, run, r, storedMeta.Shape(), mentioned.Result.Inserted)
		if err != nil {
			return err
		}
		if plan, err = statstore.PlanValidation(storedMeta, stored, scores); err != nil {
			return err
		}
		switch plan.Action {
		case statstore.WriteNothing:
			return nil
		case statstore.WriteReplace:
			// Nothing is stored (storedEntries read the last entry of a
			// run that has some, so the plan would merge).
			tag, err := tx.Exec(ctx, "DELETE FROM statstore_validation WHERE run_id = $1", r.ID)
			if err != nil {
				return fmt.Errorf("delete the old scores: %w", err)
			}
			if n := tag.RowsAffected(); n != 0 {
				return corruptRun(run, fmt.Sprintf("validation_count is 0, but table statstore_validation holds %d validation entries", n), nil)
			}
			r.ValidationCount, r.ValidatedUntil, r.SupersededCount = 0, 0, 0
		}
		if err := writeMerge(ctx, tx, run, &r, plan, stored); err != nil {
			return err
		}
		r.Metadata, r.MetadataCRC = metaDoc, metadataCRC(metaDoc)
		if err := updateRun(ctx, tx, run, r); err != nil {
			return err
		}
		if err := updateValidationSummary(ctx, tx, run, r); err != nil {
			return err
		}
		return notify(ctx, tx, mergeEvents(run, was, plan.Result)...)
	})
	if err != nil {
		return statstore.ValidationMerge{}, err
	}
	plan.Log(ctx, s.log, run)
	return plan.Result, nil
}

// writeMerge writes plan's entries into the run's validation rows and
// updates r's counters: the inserted iterations are sent with COPY (no
// row of theirs exists: the plan read them under the run's lock, and a row
// that exists anyway makes the insert fail, nothing written), the replaced
// ones are updated in one statement (scores and superseded mark) that must
// find each of them. Every entry is written with the superseded mark the
// plan gives it, and superseded_count follows the marks written and
// overwritten.
func writeMerge(ctx context.Context, tx pgx.Tx, run string, r *runRow, plan statstore.ValidationPlan, stored []statstore.ValidationIterationScores) error {
	inserted := make([]statstore.ValidationIterationScores, 0, len(plan.Result.Inserted))
	var replaced []statstore.ValidationIterationScores
	isNew := make(map[int]bool, len(plan.Result.Inserted))
	for _, it := range plan.Result.Inserted {
		isNew[it] = true
	}
	for _, e := range plan.Entries {
		if isNew[e.Iteration] {
			inserted = append(inserted, e)
		} else {
			replaced = append(replaced, e)
		}
	}
	if len(inserted) > 0 {
		if err := copyValidation(ctx, tx, r.ID, inserted); err != nil {
			return err
		}
		r.ValidationCount += int64(len(inserted))
		r.SupersededCount += int64(statstore.CountSuperseded(inserted))
		r.ValidatedUntil = max(r.ValidatedUntil, int64(inserted[len(inserted)-1].Iteration)+1)
	}
	if len(replaced) == 0 {
		return nil
	}
	its := make([]int64, len(replaced))
	marks := make([]bool, len(replaced))
	crcs := make([]int64, len(replaced))
	flat := make([]float64, 0, len(replaced)*len(flatten(replaced[0].Scores)))
	for i, e := range replaced {
		its[i], marks[i] = int64(e.Iteration), e.Superseded
		one := flatten(e.Scores)
		crcs[i] = scoresCRC(its[i], one)
		flat = append(flat, one...)
	}
	per := len(flat) / len(replaced)
	tag, err := tx.Exec(ctx, `UPDATE statstore_validation v
		SET scores = ($3::float8[])[(u.ord - 1) * $4 + 1 : u.ord * $4], superseded = u.marked, scores_crc32c = u.crc
		FROM unnest($2::bigint[], $5::boolean[], $6::bigint[]) WITH ORDINALITY AS u(it, marked, crc, ord)
		WHERE v.run_id = $1 AND v.iteration = u.it`, r.ID, its, flat, per, marks, crcs)
	if err != nil {
		return fmt.Errorf("replace %d validation entries: %w", len(replaced), err)
	}
	if n := tag.RowsAffected(); n != int64(len(replaced)) {
		return fmt.Errorf("replace %d validation entries: the server updated %d", len(replaced), n)
	}
	wasMarked := make(map[int]bool, len(stored))
	for _, e := range stored {
		wasMarked[e.Iteration] = e.Superseded
	}
	for _, e := range replaced {
		if wasMarked[e.Iteration] {
			r.SupersededCount--
		}
		if e.Superseded {
			r.SupersededCount++
		}
	}
	return nil
}

// storedMetadata checks the run's stored metadata document against its
// checksum and decodes it (zero metadata when none).
func storedMetadata(run string, r runRow) (statstore.Metadata, error) {
	if err := verifyMetadata(run, r); err != nil {
		return statstore.Metadata{}, err
	}
	if r.Metadata == nil {
		if r.ValidationCount > 0 {
			return statstore.Metadata{}, corruptRun(run, "validation scores without metadata", nil)
		}
		return statstore.Metadata{}, nil
	}
	m, err := decodeMetadata(r.Metadata)
	if err != nil {
		return statstore.Metadata{}, corruptRun(run, "validation_metadata does not decode", err)
	}
	return m, nil
}

func corruptRun(run, reason string, err error) error {
	return &statstore.CorruptError{Path: fmt.Sprintf("table statstore_runs, run %q", run), Offset: -1, Reason: reason, Err: err}
}

// checkValidationCounters checks the run's validation counters against its
// rows (their number, the last iteration, how many are marked superseded)
// before a write builds on them. It counts the rows without reading their
// scores arrays.
func checkValidationCounters(ctx context.Context, tx pgx.Tx, run string, r runRow) error {
	var n, until, marked int64
	err := tx.QueryRow(ctx, `SELECT count(*), coalesce(max(iteration) + 1, 0), count(*) FILTER (WHERE superseded)
		FROM statstore_validation WHERE run_id = $1`, r.ID).Scan(&n, &until, &marked)
	if err != nil {
		return fmt.Errorf("count the stored validation entries: %w", err)
	}
	if err := checkCounters(run, "statstore_validation", r.ValidationCount, r.ValidatedUntil, n, until, true); err != nil {
		return err
	}
	return checkSuperseded(run, r.SupersededCount, marked, true)
}

// storedEntries returns the run's stored validation entries of iterations
// (sorted), and its last one (at validated_until-1) when it has any: the
// stored entries a merge of iterations needs. The last one stands for the
// rest of the history: with it, statstore.PlanValidation sees that
// something is stored (it checks the metadata and merges instead of
// storing the first scores). The counters are checked against the rows
// first (checkValidationCounters), and each scores array read must read
// back with the stored metadata's shape: a write is not acknowledged on
// top of scores that no reader can read. The scores of the entries the
// call does not mention are not read.
func storedEntries(ctx context.Context, tx pgx.Tx, run string, r runRow, shape [3]int, iterations []int) ([]statstore.ValidationIterationScores, error) {
	if err := checkValidationCounters(ctx, tx, run, r); err != nil {
		return nil, err
	}
	its := make([]int64, len(iterations))
	for i, it := range iterations {
		its[i] = int64(it)
	}
	rows, err := tx.Query(ctx, `SELECT iteration, scores, superseded, scores_crc32c FROM statstore_validation
		WHERE run_id = $1 AND (iteration = ANY($2) OR iteration = $3) ORDER BY iteration`, r.ID, its, r.ValidatedUntil-1)
	if err != nil {
		return nil, fmt.Errorf("read stored validation entries: %w", err)
	}
	var out []statstore.ValidationIterationScores
	var it int64
	var arr pgtype.Array[pgtype.Float8]
	var marked bool
	var crc *int64
	var nMarked int64
	_, err = pgx.ForEachRow(rows, []any{&it, &arr, &marked, &crc}, func() error {
		scores, err := scoresArray(arr, shape, it, crc)
		if err != nil {
			return corruptScores(run, it, err)
		}
		out = append(out, statstore.ValidationIterationScores{Iteration: int(it), Scores: scores, Superseded: marked})
		if marked {
			nMarked++
		}
		arr = pgtype.Array[pgtype.Float8]{}
		return nil
	})
	if err != nil {
		var ce *statstore.CorruptError
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, fmt.Errorf("read stored validation entries: %w", err)
	}
	n, until := int64(len(out)), int64(0)
	if n > 0 {
		until = int64(out[n-1].Iteration) + 1
	}
	if err := checkCounters(run, "statstore_validation", r.ValidationCount, r.ValidatedUntil, n, until, false); err != nil {
		return nil, err
	}
	if r.ValidationCount > 0 && until != r.ValidatedUntil {
		return nil, corruptRun(run, fmt.Sprintf("validation_count is %d and validated_until %d, but table statstore_validation holds no entry of iteration %d",
			r.ValidationCount, r.ValidatedUntil, r.ValidatedUntil-1), nil)
	}
	if err := checkSuperseded(run, r.SupersededCount, nMarked, false); err != nil {
		return nil, err
	}
	return out, nil
}

// corruptScores reports a stored scores array that does not read back.
func corruptScores(run string, iteration int64, err error) error {
	return &statstore.CorruptError{Path: fmt.Sprintf("table statstore_validation, run %q, iteration %d", run, iteration), Offset: -1, Err: err}
}

// copyValidation sends entries with COPY, each scores array flattened and
// with its superseded mark.
func copyValidation(ctx context.Context, tx pgx.Tx, runID int64, entries []statstore.ValidationIterationScores) error {
	return copyEntries(ctx, tx, "validation", validationColumns, runID, entries, func(e statstore.ValidationIterationScores) []any {
		flat := flatten(e.Scores)
		return []any{runID, int64(e.Iteration), flat, e.Superseded, scoresCRC(int64(e.Iteration), flat)}
	})
}

// flatten returns scores [dataset][parameter set][criterion] in that order.
func flatten(scores [][][]float64) []float64 {
	out := []float64{}
	for _, d := range scores {
		for _, p := range d {
			out = append(out, p...)
		}
	}
	return out
}

// unflatten reshapes flat scores to shape; a length that does not fit is an error.
func unflatten(flat []float64, shape [3]int) ([][][]float64, error) {
	if len(flat) != shape[0]*shape[1]*shape[2] {
		return nil, fmt.Errorf("%d scores, want %d×%d×%d = %d (datasets × parameters × criteria)",
			len(flat), shape[0], shape[1], shape[2], shape[0]*shape[1]*shape[2])
	}
	out := make([][][]float64, shape[0])
	for i := range out {
		out[i] = make([][]float64, shape[1])
		for j := range out[i] {
			out[i][j], flat = flat[:shape[2]:shape[2]], flat[shape[2]:]
		}
	}
	return out, nil
}

// scoresArray checks a stored scores array (one dimension, no NULL, and
// against crc, the row's checksum, unless the row predates migration 0011)
// and reshapes it to shape.
func scoresArray(arr pgtype.Array[pgtype.Float8], shape [3]int, iteration int64, crc *int64) ([][][]float64, error) {
	if len(arr.Dims) > 1 {
		return nil, fmt.Errorf("scores array of %d dimensions, want 1", len(arr.Dims))
	}
	flat := make([]float64, len(arr.Elements))
	for i, e := range arr.Elements {
		if !e.Valid {
			return nil, fmt.Errorf("score %d of %d is NULL", i, len(arr.Elements))
		}
		flat[i] = e.Float64
	}
	if crc != nil {
		if got := scoresCRC(iteration, flat); got != *crc {
			return nil, fmt.Errorf("the iteration and %d scores do not match the row's checksum: CRC-32C %08x, stored %08x", len(flat), got, *crc)
		}
	}
	return unflatten(flat, shape)
}

// scoresCRC returns a validation row's checksum (migration 0011): the
// CRC-32C of its iteration and then each score's float64 bits, 8 bytes
// big-endian each.
func scoresCRC(iteration int64, flat []float64) int64 {
	b := make([]byte, 0, 8*(len(flat)+1))
	b = binary.BigEndian.AppendUint64(b, uint64(iteration))
	for _, f := range flat {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	}
	return int64(crc32.Checksum(b, castagnoli))
}

// RetrieveValidationScores returns the run's validation scores with their
// metadata, read in one snapshot (zero metadata and no scores for an
// unknown run).
func (s *Store) RetrieveValidationScores(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	what := fmt.Sprintf("retrieve validation scores of run %q", run)
	if err := checkRun(what, run); err != nil {
		return nil, err
	}
	var out *statstore.ValidationScores
	err := s.readTx(ctx, what, func(tx pgx.Tx) error {
		out = &statstore.ValidationScores{Scores: []statstore.ValidationIterationScores{}}
		r, ok, err := readRun(ctx, tx, run)
		if err != nil || !ok {
			return err
		}
		if out.Metadata, err = storedMetadata(run, r); err != nil {
			return err
		}
		if out.Scores, err = scanValidation(ctx, tx, run, r.ID, out.Shape()); err != nil {
			return err
		}
		n, until := int64(len(out.Scores)), int64(0)
		if n > 0 {
			until = int64(out.Scores[n-1].Iteration) + 1
		}
		if err := checkCounters(run, "statstore_validation", r.ValidationCount, r.ValidatedUntil, n, until, true); err != nil {
			return err
		}
		return checkSuperseded(run, r.SupersededCount, int64(statstore.CountSuperseded(out.Scores)), true)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RetrieveValidationIterationScores returns the run's validation entries in
// iteration order (none for an unknown run).
func (s *Store) RetrieveValidationIterationScores(ctx context.Context, run string) ([]statstore.ValidationIterationScores, error) {
	v, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return nil, err
	}
	return v.Scores, nil
}

// DeleteValidationScores removes the run's validation scores and metadata
// (nothing happens for an unknown run).
func (s *Store) DeleteValidationScores(ctx context.Context, run string) error {
	return s.deletePart(ctx, run, "validation", func(r *runRow) {
		r.ValidationCount, r.ValidatedUntil, r.SupersededCount, r.Metadata, r.MetadataCRC = 0, 0, 0, nil, nil
	})
}

// DeleteValidationAfter removes the run's validation entries with
// iteration >= iteration (DaCapo's delete_after), in one transaction
// holding the run's lock, and the metadata when none is left (the run's row
// too, when it has no training stats either). An unknown run is not an
// error; a negative iteration wraps statstore.ErrInvalidArgument.
func (s *Store) DeleteValidationAfter(ctx context.Context, run string, iteration int) error {
	what := fmt.Sprintf("delete validation scores of run %q from iteration %d on", run, iteration)
	if err := checkRun(what, run); err != nil {
		return err
	}
	if iteration < 0 {
		return fmt.Errorf("postgres: %s: iteration must be >= 0: %w", what, statstore.ErrInvalidArgument)
	}
	var deleted int64
	err := s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		r, ok, err := lockExistingRun(ctx, tx, run)
		if err != nil || !ok || int64(iteration) >= r.ValidatedUntil {
			return err
		}
		if err := checkValidationCounters(ctx, tx, run, r); err != nil {
			return err
		}
		var marked int64
		err = tx.QueryRow(ctx, `WITH gone AS (
				DELETE FROM statstore_validation WHERE run_id = $1 AND iteration >= $2 RETURNING superseded)
			SELECT count(*), count(*) FILTER (WHERE superseded) FROM gone`, r.ID, int64(iteration)).Scan(&deleted, &marked)
		if err != nil {
			return fmt.Errorf("delete validation entries: %w", err)
		}
		if deleted > r.ValidationCount || marked > r.SupersededCount || deleted == 0 {
			return corruptRun(run, fmt.Sprintf("validation_count is %d, superseded_count %d and validated_until %d, "+
				"but table statstore_validation holds %d entries from iteration %d on, %d of them marked superseded",
				r.ValidationCount, r.SupersededCount, r.ValidatedUntil, deleted, iteration, marked), nil)
		}
		r.ValidationCount -= deleted
		r.SupersededCount -= marked
		var last *int64
		if err := tx.QueryRow(ctx, "SELECT max(iteration) FROM statstore_validation WHERE run_id = $1", r.ID).Scan(&last); err != nil {
			return fmt.Errorf("read the last validation entry: %w", err)
		}
		switch {
		case r.ValidationCount == 0 && last == nil:
			r.ValidatedUntil, r.Metadata, r.MetadataCRC = 0, nil, nil
		case r.ValidationCount > 0 && last != nil:
			r.ValidatedUntil = *last + 1
		default:
			return corruptRun(run, fmt.Sprintf("validation_count is %d, but %d entries were deleted from iteration %d on and the last one left is %v",
				r.ValidationCount+deleted, deleted, iteration, fmtIteration(last)), nil)
		}
		if err := updateRun(ctx, tx, run, r); err != nil {
			return err
		}
		if err := updateValidationSummary(ctx, tx, run, r); err != nil {
			return err
		}
		if err := notify(ctx, tx, append([]statstore.Event{{Kind: statstore.EventValidationMerged, Run: run, From: iteration}}, gone(run, r)...)...); err != nil {
			return err
		}
		return dropIfEmpty(ctx, tx, r.ID)
	})
	if err == nil && deleted > 0 {
		s.log.Info("validation scores: deleted from an iteration on", "run", run, "from", iteration, "entries", deleted)
	}
	return err
}

// fmtIteration renders an iteration that may be missing.
func fmtIteration(it *int64) string {
	if it == nil {
		return "none"
	}
	return fmt.Sprint(*it)
}
