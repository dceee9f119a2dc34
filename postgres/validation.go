package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/statstore/statstore"
)

var validationColumns = []string{"run_id", "iteration", "scores"}

// StoreValidationIterationScores extends or overwrites the run's validation
// scores as statstore.PlanValidation decides, in one transaction holding
// the run's lock. The metadata are stored with the run; appending scores
// whose metadata differ fails with statstore.ErrMetadataMismatch and writes
// nothing.
func (s *Store) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := s.MergeValidationScores(ctx, run, scores)
	return err
}

// DeleteValidationAfter removes the run's validation entries with iteration >= iteration.
func (s *Store) DeleteValidationAfter(ctx context.Context, run string, iteration int) error {
	return fmt.Errorf("postgres: delete validation scores after %d: %w", iteration, errors.ErrUnsupported) // TODO(issue 11)
}

// MergeValidationScores merges scores into the run's validation scores and
// reports what it did.
func (s *Store) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (statstore.ValidationMerge, error) {
	var result statstore.ValidationMerge
	err := s.storeValidation(ctx, run, scores, &result)
	return result, err
}

func (s *Store) storeValidation(ctx context.Context, run string, scores *statstore.ValidationScores, result *statstore.ValidationMerge) error {
	what := fmt.Sprintf("store validation scores of run %q", run)
	if err := checkRun(what, run); err != nil {
		return err
	}
	// Check the input before touching the database; empty scores change nothing.
	if plan, err := statstore.PlanValidation(statstore.Metadata{}, nil, scores); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	} else if plan.Action == statstore.WriteNothing {
		return nil
	}
	metaDoc, err := encodeMetadata(scores.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: %s: metadata: %w", what, err)
	}
	var plan statstore.ValidationPlan
	var storedUntil int64
	err = s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		r, err := lockRunForWrite(ctx, tx, run)
		if err != nil {
			return err
		}
		storedUntil = r.ValidatedUntil
		stored, err := storedMetadata(run, r)
		if err != nil {
			return err
		}
		iterations, err := storedIterations(ctx, tx, run, r, stored.Shape())
		if err != nil {
			return err
		}
		// TODO(issue 11): pass the stored entries (scores and superseded marks).
		entries := make([]statstore.ValidationIterationScores, len(iterations))
		for i, it := range iterations {
			entries[i].Iteration = it
		}
		if plan, err = statstore.PlanValidation(stored, entries, scores); err != nil {
			return err
		}
		count, until := r.ValidationCount, r.ValidatedUntil
		switch plan.Action {
		case statstore.WriteNothing:
			return nil
		case statstore.WriteReplace:
			if _, err := tx.Exec(ctx, "DELETE FROM statstore_validation WHERE run_id = $1", r.ID); err != nil {
				return fmt.Errorf("delete the old scores: %w", err)
			}
			count, until = 0, 0
		}
		if err := copyValidation(ctx, tx, r.ID, plan.Entries); err != nil {
			return err
		}
		count += int64(len(plan.Entries))
		for _, e := range plan.Entries {
			until = max(until, int64(e.Iteration)+1)
		}
		r.ValidationCount, r.ValidatedUntil = count, until
		_, err = tx.Exec(ctx, `UPDATE statstore_runs
			SET validation_count = $2, validated_until = $3, validation_metadata = $4,
				counters_crc32c = $5, validation_metadata_crc32c = $6 WHERE id = $1`,
			r.ID, count, until, string(metaDoc), countersCRC(run, r), metadataCRC(metaDoc))
		return err
	})
	if err != nil {
		return err
	}
	*result = plan.Result
	s.logValidationPlan(run, storedUntil, plan)
	return nil
}

func (s *Store) logValidationPlan(run string, storedUntil int64, plan statstore.ValidationPlan) {
	switch {
	case plan.Action == statstore.WriteNothing:
		s.log.Info("validation scores already stored, nothing to add", "run", run, "stored_until", storedUntil)
	default:
		s.log.Info("extending validation scores", "run", run, "stored_until", storedUntil,
			"entries", len(plan.Entries))
	}
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

// storedIterations returns the run's stored validation iterations, checked
// against its counters (validation_count of them, the largest at
// validated_until-1), and checks that each stored scores array reads back
// with the stored metadata's shape: a write is not acknowledged on top of
// scores that no reader can read.
func storedIterations(ctx context.Context, tx pgx.Tx, run string, r runRow, shape [3]int) ([]int, error) {
	rows, err := tx.Query(ctx, `SELECT iteration, cardinality(scores), coalesce(array_ndims(scores), 1),
		CASE WHEN array_ndims(scores) > 1 THEN false ELSE array_position(scores, NULL) IS NOT NULL END
		FROM statstore_validation WHERE run_id = $1`, r.ID)
	if err != nil {
		return nil, err
	}
	var out []int
	var it, until, n, ndims int64
	var hasNull bool
	_, err = pgx.ForEachRow(rows, []any{&it, &n, &ndims, &hasNull}, func() error {
		var err error
		switch {
		case ndims != 1:
			err = fmt.Errorf("scores array of %d dimensions, want 1", ndims)
		case hasNull:
			err = fmt.Errorf("a score is NULL")
		case n != int64(shape[0]*shape[1]*shape[2]):
			err = fmt.Errorf("%d scores, want %d×%d×%d = %d (datasets × parameters × criteria)",
				n, shape[0], shape[1], shape[2], shape[0]*shape[1]*shape[2])
		}
		if err != nil {
			return corruptScores(run, it, err)
		}
		out = append(out, int(it))
		until = max(until, it+1)
		return nil
	})
	if err != nil {
		var ce *statstore.CorruptError
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, fmt.Errorf("read stored validation iterations: %w", err)
	}
	if err := checkCounters(run, "statstore_validation", r.ValidationCount, r.ValidatedUntil, int64(len(out)), until, true); err != nil {
		return nil, err
	}
	return out, nil
}

// corruptScores reports a stored scores array that does not read back.
func corruptScores(run string, iteration int64, err error) error {
	return &statstore.CorruptError{Path: fmt.Sprintf("table statstore_validation, run %q, iteration %d", run, iteration), Offset: -1, Err: err}
}

// copyValidation sends entries with COPY, each scores array flattened.
func copyValidation(ctx context.Context, tx pgx.Tx, runID int64, entries []statstore.ValidationIterationScores) error {
	return copyEntries(ctx, tx, "validation", validationColumns, runID, entries, func(e statstore.ValidationIterationScores) []any {
		return []any{runID, int64(e.Iteration), flatten(e.Scores)}
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

// scoresArray checks a stored scores array (one dimension, no NULL) and
// reshapes it to shape.
func scoresArray(arr pgtype.Array[pgtype.Float8], shape [3]int) ([][][]float64, error) {
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
	return unflatten(flat, shape)
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
		rows, err := tx.Query(ctx, "SELECT iteration, scores FROM statstore_validation WHERE run_id = $1 ORDER BY iteration", r.ID)
		if err != nil {
			return err
		}
		var it int64
		var arr pgtype.Array[pgtype.Float8]
		_, err = pgx.ForEachRow(rows, []any{&it, &arr}, func() error {
			scores, err := scoresArray(arr, out.Shape())
			if err != nil {
				return corruptScores(run, it, err)
			}
			out.Scores = append(out.Scores, statstore.ValidationIterationScores{Iteration: int(it), Scores: scores})
			arr = pgtype.Array[pgtype.Float8]{}
			return nil
		})
		if err != nil {
			return err
		}
		n, until := int64(len(out.Scores)), int64(0)
		if n > 0 {
			until = int64(out.Scores[n-1].Iteration) + 1
		}
		return checkCounters(run, "statstore_validation", r.ValidationCount, r.ValidatedUntil, n, until, true)
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
		r.ValidationCount, r.ValidatedUntil, r.Metadata, r.MetadataCRC = 0, 0, nil, nil
	})
}
