package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/jackc/pgx/v5"
)

// Checksums of a run's row in statstore_runs (migration 0002).
//
// counters_crc32c is the CRC-32C (Castagnoli) of
//
//	len(name) as 8 bytes big-endian, name,
//	training_count, trained_until, validation_count, validated_until,
//	superseded_count only when it is not 0
//	(each 8 bytes big-endian, two's complement)
//
// superseded_count (migration 0003) counts the run's validation rows marked
// superseded. It enters the checksum only when it is not zero, so the
// checksums written before it existed (all with no marks) stay valid; a
// damaged count is caught like any other counter. The marks themselves
// (statstore_validation.superseded) are not in the rows' checksums
// (scores_crc32c, migration 0011, covers the iteration and scores: a
// training rewind sets marks in SQL): whole validation reads count the
// marks they read and compare the count with superseded_count, and a
// write compares the marks of the rows it reads, so a flipped mark is an
// error rather than a checkpoint silently back in (or out of) the best
// report. Two flips that cancel out
// (one mark set, another cleared) are not detected.
//
// and validation_metadata_crc32c the CRC-32C of the metadata document's
// exact bytes (json keeps the text as written). Both are NULL in rows
// written before the migration; see checkLegacyCounters.

// crc32c returns the CRC-32C of data as the columns hold it.
func crc32c(data []byte) int64 {
	return int64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
}

// countersCRC returns the checksum of r's counters for the run's name.
func countersCRC(run string, r runRow) int64 {
	b := make([]byte, 0, 8+len(run)+32)
	b = binary.BigEndian.AppendUint64(b, uint64(len(run)))
	b = append(b, run...)
	for _, v := range []int64{r.TrainingCount, r.TrainedUntil, r.ValidationCount, r.ValidatedUntil} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	if r.SupersededCount != 0 {
		b = binary.BigEndian.AppendUint64(b, uint64(r.SupersededCount))
	}
	return crc32c(b)
}

// metadataCRC returns the checksum of a metadata document, nil for none.
func metadataCRC(doc []byte) *int64 {
	if doc == nil {
		return nil
	}
	c := crc32c(doc)
	return &c
}

// verifyRow checks the run's counters against their checksum (when the
// row has one): every read and write of the row does. A mismatch is a
// *statstore.CorruptError naming the table and run.
func verifyRow(run string, r runRow) error {
	if r.CountersCRC != nil {
		if got := countersCRC(run, r); got != *r.CountersCRC {
			return corruptRun(run, fmt.Sprintf("counters (training_count %d, trained_until %d, validation_count %d, validated_until %d, "+
				"superseded_count %d) do not match their checksum: CRC-32C %08x, stored %08x",
				r.TrainingCount, r.TrainedUntil, r.ValidationCount, r.ValidatedUntil, r.SupersededCount, got, *r.CountersCRC), nil)
		}
	}
	return nil
}

// verifyMetadata checks the metadata document's bytes against their
// checksum (when the row has one): every read and write of validation
// scores does, before decoding it. Training reads and writes do not need
// the document, and a damaged one does not stop them.
func verifyMetadata(run string, r runRow) error {
	switch {
	case r.MetadataCRC == nil:
	case r.Metadata == nil:
		return corruptRun(run, "validation_metadata is missing but its checksum is stored", nil)
	default:
		if got := crc32c(r.Metadata); got != *r.MetadataCRC {
			return corruptRun(run, fmt.Sprintf("validation_metadata (%d bytes) does not match its checksum: CRC-32C %08x, stored %08x",
				len(r.Metadata), got, *r.MetadataCRC), nil)
		}
	}
	return nil
}

// checkLegacyCounters checks the counters of a row written before its
// checksums existed against the run's rows, before a write stores a
// checksum of them: counting the rows costs a scan of the run's history,
// once per run. A row with checksums needs no check.
func checkLegacyCounters(ctx context.Context, tx pgx.Tx, run string, r runRow) error {
	if r.CountersCRC != nil {
		return nil
	}
	for _, part := range []struct {
		table, query string
		count, until int64
	}{
		{chunkTable, "SELECT coalesce(sum(entries), 0), coalesce(max(last_iteration) + 1, 0) FROM " + chunkTable + " WHERE run_id = $1",
			r.TrainingCount, r.TrainedUntil},
		{"statstore_validation", "SELECT count(*), coalesce(max(iteration) + 1, 0) FROM statstore_validation WHERE run_id = $1",
			r.ValidationCount, r.ValidatedUntil},
	} {
		var n, until int64
		err := tx.QueryRow(ctx, part.query, r.ID).Scan(&n, &until)
		if err != nil {
			return fmt.Errorf("check the counters of %s: %w", part.table, err)
		}
		if err := checkCounters(run, part.table, part.count, part.until, n, until, true); err != nil {
			return err
		}
	}
	var marked int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM statstore_validation WHERE run_id = $1 AND superseded", r.ID).Scan(&marked); err != nil {
		return fmt.Errorf("check the superseded marks: %w", err)
	}
	return checkSuperseded(run, r.SupersededCount, marked, true)
}

// checkSuperseded compares superseded_count with the number of marked
// validation rows a read found: all of them when whole is true, otherwise
// not more.
func checkSuperseded(run string, want, found int64, whole bool) error {
	if found == want || !whole && found < want {
		return nil
	}
	what := "table statstore_validation holds"
	if !whole {
		what = "the rows read of table statstore_validation hold"
	}
	return corruptRun(run, fmt.Sprintf("superseded_count is %d, but %s %d entries marked superseded", want, what, found), nil)
}

// checkCounters compares a part's counters with what a read of its table
// found: n rows, the last at until-1 (until 0 for none). When whole is
// true the read covered the whole history and must find exactly what the
// counters say; otherwise it must not find more.
func checkCounters(run, table string, wantCount, wantUntil, n, until int64, whole bool) error {
	if whole && n == wantCount && until == wantUntil || !whole && n <= wantCount && until <= wantUntil {
		return nil
	}
	part, count, untilName := "training", "training_count", "trained_until"
	if table == "statstore_validation" {
		part, count, untilName = "validation", "validation_count", "validated_until"
	}
	found := "table " + table + " holds"
	if !whole {
		found = "a range read of table " + table + " finds"
	}
	last := "none"
	if n > 0 {
		last = fmt.Sprint(until - 1)
	}
	return corruptRun(run, fmt.Sprintf("%s is %d and %s %d, but %s %d %s entries (last iteration: %s)",
		count, wantCount, untilName, wantUntil, found, n, part, last), nil)
}

// metadataText returns a metadata document as a json query argument (nil
// for SQL NULL).
func metadataText(doc []byte) any {
	if doc == nil {
		return nil
	}
	return string(doc)
}
