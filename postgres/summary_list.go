package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
)

var _ statstore.Summarizer = (*Store)(nil)

// RunSummaries answers q from the kept summaries (migration 0007): one
// query reads every live run's row (counters, last write, metadata) with
// its summary; the tags and metadata digest come from the metadata read
// with it, and the filter, sort and page are applied over the rows
// (statstore.RunQuery.Apply). No history is read, except for a run that
// has no summary row (recomputed, as readers of a damaged cache do).
func (s *Store) RunSummaries(ctx context.Context, q statstore.RunQuery) (statstore.RunPage, error) {
	if err := q.Validate(); err != nil {
		return statstore.RunPage{}, fmt.Errorf("postgres: run summaries: %w", err)
	}
	var sums []statstore.RunSummary
	var missing []string
	err := s.do(ctx, "run summaries", func(c *pgxConn) error {
		sums, missing = sums[:0], missing[:0]
		rows, err := c.Query(ctx, `SELECT r.name, r.training_count, r.trained_until, r.validation_count, r.validated_until,
			r.superseded_count, r.counters_crc32c, r.last_write, r.run_meta, r.run_meta_crc32c, s.summary, s.crc32c
			FROM statstore_runs r LEFT JOIN statstore_run_summaries s ON s.run_id = r.id
			WHERE r.trash_id IS NULL AND (r.training_count > 0 OR r.validation_count > 0 OR r.run_meta IS NOT NULL)`)
		if err != nil {
			return err
		}
		var name string
		var r runRow
		var last *time.Time
		var meta *string
		var doc []byte
		intern := map[string]string{}
		var metaCRC, crc *int64
		_, err = pgx.ForEachRow(rows, []any{&name, &r.TrainingCount, &r.TrainedUntil, &r.ValidationCount, &r.ValidatedUntil,
			&r.SupersededCount, &r.CountersCRC, &last, &meta, &metaCRC, &doc, &crc}, func() error {
			if err := verifyRow(name, r); err != nil {
				return err
			}
			if doc == nil || crc == nil {
				missing = append(missing, name)
				return nil
			}
			sum, err := decodeSummary(name, doc, *crc, intern)
			if err != nil {
				return err
			}
			sum = withCounters(sum, name, r)
			if last != nil {
				sum.LastWrite = *last
			}
			m, err := decodeRunMeta(name, meta, metaCRC)
			if err != nil {
				return err
			}
			sum.SetMeta(m)
			sums = append(sums, sum)
			return nil
		})
		return err
	})
	if err != nil {
		return statstore.RunPage{}, err
	}
	for _, run := range missing {
		sum, err := s.recomputed(ctx, run)
		if err != nil {
			return statstore.RunPage{}, err
		}
		if sum.Run != "" {
			sums = append(sums, sum)
		}
	}
	return q.Apply(sums)
}

// recomputed summarises a run that has no summary row from its history,
// read in one snapshot; a run gone meanwhile gives a zero summary.
func (s *Store) recomputed(ctx context.Context, run string) (statstore.RunSummary, error) {
	var sum statstore.RunSummary
	err := s.readTx(ctx, fmt.Sprintf("summarise run %q", run), func(tx pgx.Tx) error {
		var r runRow
		var last *time.Time
		var meta *string
		var metaCRC *int64
		err := tx.QueryRow(ctx, "SELECT "+runColumns+", last_write, run_meta, run_meta_crc32c FROM statstore_runs WHERE name = $1", run).Scan(
			&r.ID, &r.TrainingCount, &r.TrainedUntil, &r.ValidationCount, &r.ValidatedUntil, &r.SupersededCount, &r.Metadata,
			&r.CountersCRC, &r.MetadataCRC, &last, &meta, &metaCRC)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		if err := verifyRow(run, r); err != nil {
			return err
		}
		if sum, err = recomputeSummary(ctx, tx, run, r); err != nil {
			return err
		}
		if last != nil {
			sum.LastWrite = *last
		}
		m, err := decodeRunMeta(run, meta, metaCRC)
		sum.SetMeta(m)
		return err
	})
	return sum, err
}
