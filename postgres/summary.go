package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/statstore/statstore"
)

// Run summaries (migration 0007, statstore.Summarizer).
//
// statstore_run_summaries holds, per run, the part of its
// statstore.RunSummary that depends on the history (summaryDoc), as JSON,
// with the CRC-32C of the document's bytes. Every writing transaction
// brings it up to date before it commits, from what it wrote alone: an
// append adds its entries (RunSummary.AppendTraining: O(new entries)); a
// replace summarises the new history it writes anyway; a validation merge
// or delete takes the validation part again from the run's validation
// entries (O(validated checkpoints), never the training history). The
// one-round-trip append (fastappend.go) sends the new summary under its
// guard, which also requires the stored summary to be the remembered one.
// RunSummaries reads every run's row, summary and tags in one query.

// The summary document (statstore_run_summaries.summary) is binary, read
// 10,000 at a time by RunSummaries:
//
//	version (1 byte, 1)
//	last_loss, min_loss         IEEE 754 bits, 8 bytes big-endian each
//	min_loss_iteration, last_validated, validation_every   varints
//	health: count (uvarint), each flag a string
//	best: count (uvarint), each line: dataset, criterion (strings),
//	      flags (1 byte: 1 higher is better, 2 direction unknown, 4 found),
//	      iteration, parameter id (varints), parameters (string),
//	      value (IEEE 754 bits, 8 bytes big-endian)
//
// A string is its length (uvarint) and its bytes.
const summaryVersion = 1

// Best line flags in the summary document.
const (
	bestHigher  = 1
	bestUnknown = 2
	bestFound   = 4
)

// encodeSummary returns the document of sum's history part.
func encodeSummary(sum statstore.RunSummary) []byte {
	b := []byte{summaryVersion}
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(sum.LastLoss))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(sum.MinLoss))
	for _, v := range []int{sum.MinLossIteration, sum.LastValidated, sum.ValidationEvery} {
		b = binary.AppendVarint(b, int64(v))
	}
	str := func(s string) { b = append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	b = binary.AppendUvarint(b, uint64(len(sum.Health)))
	for _, h := range sum.Health {
		str(h)
	}
	b = binary.AppendUvarint(b, uint64(len(sum.Best)))
	for _, l := range sum.Best {
		str(l.Dataset)
		str(l.Criterion)
		var f byte
		if l.HigherIsBetter {
			f |= bestHigher
		}
		if l.DirectionUnknown {
			f |= bestUnknown
		}
		if l.Found {
			f |= bestFound
		}
		b = append(b, f)
		b = binary.AppendVarint(b, int64(l.Iteration))
		b = binary.AppendVarint(b, int64(l.ParameterID))
		str(l.Parameters)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(l.Value))
	}
	return b
}

// summaryReader decodes a summary document; strings seen before (the
// datasets, criteria and flags every run repeats) are shared.
type summaryReader struct {
	b      []byte
	err    error
	intern map[string]string
}

func (r *summaryReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or malformed at %s", what)
	}
}

func (r *summaryReader) u64(what string) uint64 {
	if r.err != nil || len(r.b) < 8 {
		r.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *summaryReader) varint(what string) int {
	v, n := binary.Varint(r.b)
	if r.err != nil || n <= 0 || v < math.MinInt32*int64(1<<31) || v > math.MaxInt64/2 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

// count reads a count of items of at least min bytes each.
func (r *summaryReader) count(what string, min int) int {
	v, n := binary.Uvarint(r.b)
	if r.err != nil || n <= 0 || v > uint64(len(r.b)/min) {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *summaryReader) str(what string) string {
	v, n := binary.Uvarint(r.b)
	if r.err != nil || n <= 0 || v > uint64(len(r.b)-n) {
		r.fail(what)
		return ""
	}
	raw := r.b[n : n+int(v)]
	r.b = r.b[n+int(v):]
	if s, ok := r.intern[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if r.intern != nil && len(r.intern) < 4096 {
		r.intern[s] = s
	}
	return s
}

// decodeSummary checks a stored summary document against its checksum and
// decodes it into the history part of a RunSummary (RunInfo, Tags and
// MetaDigest left zero); damage is a *statstore.CorruptError naming the
// run. intern (may be nil) shares repeated strings across calls.
func decodeSummary(run string, doc []byte, crc int64, intern map[string]string) (statstore.RunSummary, error) {
	if got := crc32c(doc); got != crc {
		return statstore.RunSummary{}, corruptSummary(run, fmt.Sprintf("the summary (%d bytes) does not match its checksum: CRC-32C %08x, stored %08x", len(doc), got, crc), nil)
	}
	if len(doc) == 0 || doc[0] != summaryVersion {
		return statstore.RunSummary{}, corruptSummary(run, "the summary is not a version 1 summary document", nil)
	}
	r := &summaryReader{b: doc[1:], intern: intern}
	sum := statstore.RunSummary{LastLoss: math.Float64frombits(r.u64("last_loss")), MinLoss: math.Float64frombits(r.u64("min_loss"))}
	sum.MinLossIteration, sum.LastValidated, sum.ValidationEvery = r.varint("min_loss_iteration"), r.varint("last_validated"), r.varint("validation_every")
	if n := r.count("health", 1); n > 0 {
		sum.Health = make([]string, n)
		for i := range sum.Health {
			sum.Health[i] = r.str("health")
		}
	}
	if n := r.count("best", 14); n > 0 {
		sum.Best = make([]statstore.Best, n)
		for i := range sum.Best {
			l := &sum.Best[i]
			l.Dataset, l.Criterion = r.str("best dataset"), r.str("best criterion")
			if len(r.b) == 0 {
				r.fail("best flags")
				break
			}
			f := r.b[0]
			r.b = r.b[1:]
			l.HigherIsBetter, l.DirectionUnknown, l.Found = f&bestHigher != 0, f&bestUnknown != 0, f&bestFound != 0
			l.Iteration, l.ParameterID = r.varint("best iteration"), r.varint("best parameter id")
			l.Parameters = r.str("best parameters")
			l.Value = math.Float64frombits(r.u64("best value"))
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the document", len(r.b))
	}
	if r.err == nil && (sum.MinLossIteration < -1 || sum.LastValidated < -1 || sum.ValidationEvery < 0) {
		r.err = fmt.Errorf("min_loss_iteration %d, last_validated %d, validation_every %d", sum.MinLossIteration, sum.LastValidated, sum.ValidationEvery)
	}
	if r.err != nil {
		return statstore.RunSummary{}, corruptSummary(run, "the summary does not decode", r.err)
	}
	return sum, nil
}

func corruptSummary(run, reason string, err error) error {
	return &statstore.CorruptError{Path: fmt.Sprintf("table statstore_run_summaries, run %q", run), Offset: -1, Reason: reason, Err: err}
}

// withCounters returns sum with the RunInfo of the run's row r.
func withCounters(sum statstore.RunSummary, run string, r runRow) statstore.RunSummary {
	sum.RunInfo = statstore.RunInfo{Run: run, TrainedUntil: int(r.TrainedUntil), TrainingIterations: int(r.TrainingCount),
		ValidatedUntil: int(r.ValidatedUntil), ValidationIterations: int(r.ValidationCount)}
	return sum
}

// putSummarySQL writes a run's summary ($1 the run's id, $2 the document,
// $3 its checksum).
const putSummarySQL = `INSERT INTO statstore_run_summaries (run_id, summary, crc32c) VALUES ($1, $2, $3)
	ON CONFLICT (run_id) DO UPDATE SET summary = EXCLUDED.summary, crc32c = EXCLUDED.crc32c`

// keptSummary is a summary as stored: the decoded history part and its
// document.
type keptSummary struct {
	Sum statstore.RunSummary
	Doc []byte
}

// newKept encodes sum.
func newKept(sum statstore.RunSummary) (*keptSummary, error) {
	return &keptSummary{Sum: sum, Doc: encodeSummary(sum)}, nil
}

// queueSummary queues the write of sum for the run r in b and returns it
// as kept.
func queueSummary(b *pgx.Batch, r runRow, sum statstore.RunSummary) (*keptSummary, error) {
	k, err := newKept(sum)
	if err != nil {
		return nil, err
	}
	b.Queue(putSummarySQL, r.ID, k.Doc, crc32c(k.Doc))
	return k, nil
}

// putSummary writes sum for the run r in tx.
func putSummary(ctx context.Context, tx pgx.Tx, r runRow, sum statstore.RunSummary) error {
	k, err := newKept(sum)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, putSummarySQL, r.ID, k.Doc, crc32c(k.Doc)); err != nil {
		return fmt.Errorf("write the run summary: %w", err)
	}
	return nil
}

// readSummary reads the run's stored summary in tx (its row r, locked,
// with the counters as stored) with r's counters; a run without one (a
// row written by nothing that keeps summaries) is summarised from its
// history.
func readSummary(ctx context.Context, tx pgx.Tx, run string, r runRow) (statstore.RunSummary, error) {
	var doc []byte
	var crc int64
	err := tx.QueryRow(ctx, "SELECT summary, crc32c FROM statstore_run_summaries WHERE run_id = $1", r.ID).Scan(&doc, &crc)
	if errors.Is(err, pgx.ErrNoRows) {
		return recomputeSummary(ctx, tx, run, r)
	}
	if err != nil {
		return statstore.RunSummary{}, fmt.Errorf("read the run summary: %w", err)
	}
	sum, err := decodeSummary(run, doc, crc, nil)
	return withCounters(sum, run, r), err
}

// recomputeSummary summarises the run's history as tx sees it (r is its
// row as stored).
func recomputeSummary(ctx context.Context, tx pgx.Tx, run string, r runRow) (statstore.RunSummary, error) {
	var training *statstore.TrainingStats
	if r.TrainingCount > 0 {
		entries, err := readTrainingRange(ctx, tx, run, statstore.IterationRange{})
		if err != nil {
			return statstore.RunSummary{}, err
		}
		training = &statstore.TrainingStats{IterationStats: entries}
	}
	v, err := validationOf(ctx, tx, run, r)
	if err != nil {
		return statstore.RunSummary{}, err
	}
	return withCounters(statstore.Summarize(run, training, v), run, r), nil
}

// validationOf reads the run's validation entries in tx, with the
// metadata of r, which holds the run's counters as the transaction has
// made them (the row itself may not be updated yet): the entries read
// must agree with them. It returns nil for a run without validation
// entries.
func validationOf(ctx context.Context, tx pgx.Tx, run string, r runRow) (*statstore.ValidationScores, error) {
	if r.ValidationCount == 0 {
		return nil, nil
	}
	meta, err := storedMetadata(run, r)
	if err != nil {
		return nil, err
	}
	v := &statstore.ValidationScores{Metadata: meta}
	if v.Scores, err = scanValidation(ctx, tx, run, r.ID, meta.Shape()); err != nil {
		return nil, err
	}
	n, until := int64(len(v.Scores)), int64(0)
	if n > 0 {
		until = int64(v.Scores[n-1].Iteration) + 1
	}
	if err := checkCounters(run, "statstore_validation", r.ValidationCount, r.ValidatedUntil, n, until, true); err != nil {
		return nil, err
	}
	return v, checkSuperseded(run, r.SupersededCount, int64(statstore.CountSuperseded(v.Scores)), true)
}

// scanValidation reads the validation entries of the run's row id in
// iteration order, each scores array reshaped to shape.
func scanValidation(ctx context.Context, tx pgx.Tx, run string, id int64, shape [3]int) ([]statstore.ValidationIterationScores, error) {
	rows, err := tx.Query(ctx, "SELECT iteration, scores, superseded, scores_crc32c FROM statstore_validation WHERE run_id = $1 ORDER BY iteration", id)
	if err != nil {
		return nil, err
	}
	out := []statstore.ValidationIterationScores{}
	var it int64
	var arr pgtype.Array[pgtype.Float8]
	var marked bool
	var crc *int64
	_, err = pgx.ForEachRow(rows, []any{&it, &arr, &marked, &crc}, func() error {
		scores, err := scoresArray(arr, shape, it, crc)
		if err != nil {
			return corruptScores(run, it, err)
		}
		out = append(out, statstore.ValidationIterationScores{Iteration: int(it), Scores: scores, Superseded: marked})
		arr = pgtype.Array[pgtype.Float8]{}
		return nil
	})
	return out, err
}

// updateValidationSummary takes the validation part of the run's summary
// again from its validation entries, after a transaction wrote them and
// its row r (updated: updateRun ran, so a run without a summary row is
// summarised from what the transaction wrote).
func updateValidationSummary(ctx context.Context, tx pgx.Tx, run string, r runRow) error {
	sum, err := readSummary(ctx, tx, run, r)
	if err != nil {
		return err
	}
	v, err := validationOf(ctx, tx, run, r)
	if err != nil {
		return err
	}
	sum = withCounters(sum, run, r)
	sum.SetValidation(v)
	return putSummary(ctx, tx, r, sum)
}

// fillSummaries summarises, in the migration's transaction, every run
// whose row has no summary yet (all of them, when migration 0007 has just
// been applied) from its history.
func fillSummaries(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, err := tx.Query(ctx, `SELECT name, `+runColumns+` FROM statstore_runs r
		WHERE NOT EXISTS (SELECT FROM statstore_run_summaries s WHERE s.run_id = r.id) ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("find runs without a summary: %w", err)
	}
	type named struct {
		name string
		r    runRow
	}
	var todo []named
	var n named
	_, err = pgx.ForEachRow(rows, []any{&n.name, &n.r.ID, &n.r.TrainingCount, &n.r.TrainedUntil, &n.r.ValidationCount, &n.r.ValidatedUntil,
		&n.r.SupersededCount, &n.r.Metadata, &n.r.CountersCRC, &n.r.MetadataCRC}, func() error {
		if err := verifyRow(n.name, n.r); err != nil {
			return err
		}
		todo = append(todo, n)
		n = named{}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("find runs without a summary: %w", err)
	}
	for _, t := range todo {
		sum, err := recomputeSummary(ctx, tx, t.name, t.r)
		if err != nil {
			return 0, fmt.Errorf("summarise run %q: %w", t.name, err)
		}
		if err := putSummary(ctx, tx, t.r, sum); err != nil {
			return 0, fmt.Errorf("summarise run %q: %w", t.name, err)
		}
	}
	return len(todo), nil
}

// updatePartSummary brings the run's summary up to date after a delete of
// one part (part "training" or "validation") left its row r (updated:
// updateRun ran).
func updatePartSummary(ctx context.Context, tx pgx.Tx, run, part string, r runRow) error {
	if part == "validation" {
		return updateValidationSummary(ctx, tx, run, r)
	}
	v, err := validationOf(ctx, tx, run, r)
	if err != nil {
		return err
	}
	return putSummary(ctx, tx, r, withCounters(statstore.Summarize(run, nil, v), run, r))
}

// ensureSummary gives the run r a summary row when it has none (a run
// whose first write sets its metadata).
func ensureSummary(ctx context.Context, tx pgx.Tx, run string, r runRow) error {
	var has bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM statstore_run_summaries WHERE run_id = $1)", r.ID).Scan(&has); err != nil || has {
		return err
	}
	sum, err := recomputeSummary(ctx, tx, run, r)
	if err != nil {
		return err
	}
	return putSummary(ctx, tx, r, sum)
}
