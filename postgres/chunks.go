package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/statstore/statstore"
)

// Training stats are stored in blocks ("chunks", migration 0008): one row
// of statstore_training_chunks per block of consecutive entries of a run,
//
//	first_iteration, last_iteration, entries, step, data, crc32c
//
// where data packs the block's entries, chunkEntrySize bytes each:
// iteration (int64), loss and time (float64 bits), each 8 bytes big-endian.
// step is the common difference of the block's iterations when it has at
// least two entries and there is one, else 0. crc32c is the CRC-32C of
//
//	first_iteration, last_iteration, entries, step (8 bytes big-endian each), data
//
// so a damaged header or entry is a *statstore.CorruptError when the block
// is decoded. Blocks made by migration 0008 from the rows of the old table
// have a NULL checksum (SQL has no CRC-32C) until they are next rewritten;
// they are checked for their shape only (length, iterations ascending and
// matching the header).
//
// An append adds one row per maxChunkEntries entries (or rewrites the last
// block when both are small, see mergeBelow): its cost does not depend on
// the history's length, and a 1,000-entry checkpoint costs 4 rows and 4
// foreign-key checks instead of 1,000 of each.

// chunkEntrySize is the size of one packed entry.
const chunkEntrySize = 24

// entryCRCSize is the size of one entry's checksum in entry_crcs
// (migration 0010): the CRC-32C of its 24 bytes, big-endian.
const entryCRCSize = 4

// maxChunkEntries bounds the entries of a block: 280 entries (6,720 bytes
// of data and 1,120 of entry checksums) keep a row within one 8 KiB page,
// and the table's toast_tuple_target (8160, migration 0008) keeps such
// rows whole in the table, so reading a block reads one page, not a dozen
// 2 KiB TOAST slices through their index. (Blocks written before
// migration 0010 hold up to 320 entries and no entry checksums; they are
// read as they are.)
const maxChunkEntries = 280

// mergeBelow: an append of fewer entries than this to a run whose last
// block also holds fewer rewrites that block with the new entries instead
// of adding one, so that a trainer storing a few entries per call does not
// make a block per call. The rewrite reads and writes fewer than
// maxChunkEntries entries: bounded, whatever the history.
const mergeBelow = maxChunkEntries / 2

// fromOverlap is the SQL condition, for $1 a run's id and $2 an
// iteration, that a block starts no earlier than the first block reaching
// $2 (the one with the least last_iteration at or after it). Blocks are
// disjoint and ordered, so the blocks that overlap a range from $2 on
// are among those; and the condition lets a scan in first_iteration order
// start at that block (found through the last_iteration index) instead
// of at the run's first block, filtering every block before it: a read
// of the history's end then costs what it reads, not the history.
const fromOverlap = `first_iteration >= coalesce((SELECT f.first_iteration FROM statstore_training_chunks f
	WHERE f.run_id = $1 AND f.last_iteration >= $2 ORDER BY f.last_iteration LIMIT 1), 9223372036854775807)`

// chunkTable names the table in errors.
const chunkTable = "statstore_training_chunks"

// chunk is one row of statstore_training_chunks.
type chunk struct {
	First, Last int64
	Entries     int64
	Step        int64
	Data        []byte  // nil when not read
	CRC         *int64  // nil for a block made by migration 0008
	M4          chunkM4 // its M4 summary (migration 0009, buckets.go)
	// EntryCRCs and M4CRC (migration 0010; nil for a block written before
	// it) check what reads take out of a block without reading it whole:
	// each entry's CRC-32C (entryCRCSize bytes each), and the CRC-32C of
	// the header and M4 columns (m4CRC). Set when the block is made;
	// whole-block reads do not read them (crc32c covers the data).
	EntryCRCs []byte
	M4CRC     *int64
}

// chunkWriteColumns are the columns a block is written with, in
// writeArgs' order after run_id.
const chunkWriteColumns = "run_id, first_iteration, last_iteration, entries, step, data, crc32c, entry_crcs, m4_crc32c, " + m4Columns

// chunkValueParams returns the placeholders of writeArgs' values (the
// columns of chunkWriteColumns after run_id) from $from on.
func chunkValueParams(from int) string {
	ps := make([]string, 15)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ps, ", ")
}

// writeArgs returns the values of chunkWriteColumns after run_id.
func (c chunk) writeArgs() []any {
	return append([]any{c.First, c.Last, int32(c.Entries), c.Step, c.Data, *c.CRC, c.EntryCRCs, *c.M4CRC}, c.M4.args()...)
}

// chunkColumns are a chunk's columns in scanChunk's order.
const chunkColumns = "first_iteration, last_iteration, entries, step, crc32c, data"

// scanChunk scans chunkColumns.
func scanChunk(row pgx.Row) (chunk, error) {
	var c chunk
	var entries int32
	err := row.Scan(&c.First, &c.Last, &entries, &c.Step, &c.CRC, &c.Data)
	c.Entries = int64(entries)
	return c, err
}

// makeChunk packs entries (sorted, at least one) into a block with its
// checksum.
func makeChunk(entries []statstore.TrainingIterationStats) chunk {
	c := chunk{First: int64(entries[0].Iteration), Last: int64(entries[len(entries)-1].Iteration), Entries: int64(len(entries)),
		Step: entriesStep(entries)}
	c.Data = make([]byte, 0, len(entries)*chunkEntrySize)
	for _, e := range entries {
		c.Data = binary.BigEndian.AppendUint64(c.Data, uint64(e.Iteration))
		c.Data = binary.BigEndian.AppendUint64(c.Data, math.Float64bits(e.Loss))
		c.Data = binary.BigEndian.AppendUint64(c.Data, math.Float64bits(e.Time))
	}
	sum := chunkCRC(c)
	c.CRC = &sum
	c.M4 = summarizeChunk(entries)
	c.EntryCRCs = make([]byte, 0, len(entries)*entryCRCSize)
	for off := 0; off < len(c.Data); off += chunkEntrySize {
		c.EntryCRCs = binary.BigEndian.AppendUint32(c.EntryCRCs, crc32.Checksum(c.Data[off:off+chunkEntrySize], castagnoli))
	}
	m4 := m4CRC(c)
	c.M4CRC = &m4
	return c
}

// m4CRC returns the checksum of c's header and M4 summary (migration 0010):
// the CRC-32C of first_iteration, last_iteration, entries and step (8
// bytes big-endian each), then finite, nan, pos_inf and neg_inf (4 bytes
// each), first_non_finite (8) and min_index and max_index (2 each).
func m4CRC(c chunk) int64 {
	b := make([]byte, 0, 60)
	for _, v := range []int64{c.First, c.Last, c.Entries, c.Step} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	for _, v := range []int32{c.M4.Finite, c.M4.NaN, c.M4.PosInf, c.M4.NegInf} {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	b = binary.BigEndian.AppendUint64(b, uint64(c.M4.FirstNonFinite))
	b = binary.BigEndian.AppendUint16(b, uint16(c.M4.MinIndex))
	b = binary.BigEndian.AppendUint16(b, uint16(c.M4.MaxIndex))
	return int64(crc32.Checksum(b, castagnoli))
}

// checkEntrySlice checks entry, a 24-byte slice of a block's data read
// without the rest, against crc, the matching 4 bytes of the block's
// entry_crcs: nil when they match, or when the block was written before
// migration 0010 (checked false: it has no checksums). A block written
// with them (checked: its m4_crc32c is not NULL) must have the entry's.
func checkEntrySlice(run string, c chunk, index int64, entry, crc []byte, checked bool) error {
	if crc == nil {
		if checked {
			return corruptChunk(run, fmt.Sprintf("block from iteration %d: entry %d has no checksum, but the block's summary has one", c.First, index))
		}
		return nil
	}
	if len(crc) != entryCRCSize || len(entry) != chunkEntrySize {
		return corruptChunk(run, fmt.Sprintf("block from iteration %d: entry %d read as %d bytes with a %d-byte checksum", c.First, index, len(entry), len(crc)))
	}
	if got, want := crc32.Checksum(entry, castagnoli), binary.BigEndian.Uint32(crc); got != want {
		return corruptChunk(run, fmt.Sprintf("block from iteration %d: entry %d does not match its checksum: CRC-32C %08x, stored %08x", c.First, index, got, want))
	}
	return nil
}

// entriesStep returns the common difference of the entries' iterations
// (sorted): 0 for fewer than two entries or none.
func entriesStep(entries []statstore.TrainingIterationStats) int64 {
	if len(entries) < 2 {
		return 0
	}
	step := int64(entries[1].Iteration - entries[0].Iteration)
	for i := 2; i < len(entries); i++ {
		if int64(entries[i].Iteration-entries[i-1].Iteration) != step {
			return 0
		}
	}
	return step
}

// chunkCRC returns the checksum of c's header and data.
func chunkCRC(c chunk) int64 {
	var header [32]byte
	for i, v := range []int64{c.First, c.Last, c.Entries, c.Step} {
		binary.BigEndian.PutUint64(header[8*i:], uint64(v))
	}
	crc := crc32.Update(0, castagnoli, header[:])
	return int64(crc32.Update(crc, castagnoli, c.Data))
}

// castagnoli is the CRC-32C table.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// splitChunks packs entries (sorted) into as few blocks of at most
// maxChunkEntries as hold them, of sizes as even as can be.
func splitChunks(entries []statstore.TrainingIterationStats) []chunk {
	blocks := (len(entries) + maxChunkEntries - 1) / maxChunkEntries
	out := make([]chunk, 0, blocks)
	for i := range blocks {
		lo, hi := i*len(entries)/blocks, (i+1)*len(entries)/blocks
		out = append(out, makeChunk(entries[lo:hi]))
	}
	return out
}

// corruptChunk is a damaged block of the run, or blocks that do not fit
// together.
func corruptChunk(run, reason string) error {
	return &statstore.CorruptError{Path: fmt.Sprintf("table %s, run %q", chunkTable, run), Offset: -1, Reason: reason}
}

// decodeEntry decodes one packed entry.
func decodeEntry(b []byte) statstore.TrainingIterationStats {
	return statstore.TrainingIterationStats{
		Iteration: int(int64(binary.BigEndian.Uint64(b))),
		Loss:      math.Float64frombits(binary.BigEndian.Uint64(b[8:])),
		Time:      math.Float64frombits(binary.BigEndian.Uint64(b[16:])),
	}
}

// decode checks the block (its checksum when it has one, and its shape:
// data of entries packed entries, iterations ascending from first_iteration
// to last_iteration, step as the header says) and appends its entries to
// out. A damaged block is a *statstore.CorruptError naming the table and
// run.
func (c chunk) decode(run string, out []statstore.TrainingIterationStats) ([]statstore.TrainingIterationStats, error) {
	where := fmt.Sprintf("block from iteration %d", c.First)
	if c.CRC != nil {
		if got := chunkCRC(c); got != *c.CRC {
			return nil, corruptChunk(run, fmt.Sprintf("%s (%d entries, %d bytes) does not match its checksum: CRC-32C %08x, stored %08x",
				where, c.Entries, len(c.Data), got, *c.CRC))
		}
	}
	if c.Entries < 1 || int64(len(c.Data)) != c.Entries*chunkEntrySize {
		return nil, corruptChunk(run, fmt.Sprintf("%s holds %d bytes, want %d entries of %d bytes", where, len(c.Data), c.Entries, chunkEntrySize))
	}
	start := len(out)
	for off := 0; off < len(c.Data); off += chunkEntrySize {
		e := decodeEntry(c.Data[off:])
		i := len(out) - start
		switch {
		case e.Iteration < 0 || int64(e.Iteration) > statstore.MaxIteration:
			return nil, corruptChunk(run, fmt.Sprintf("%s: entry %d has iteration %d, out of range", where, i, e.Iteration))
		case i == 0 && int64(e.Iteration) != c.First:
			return nil, corruptChunk(run, fmt.Sprintf("%s: its first entry has iteration %d", where, e.Iteration))
		case i > 0 && e.Iteration <= out[len(out)-1].Iteration:
			return nil, corruptChunk(run, fmt.Sprintf("%s: entry %d has iteration %d, not after %d", where, i, e.Iteration, out[len(out)-1].Iteration))
		case i > 0 && c.Step != 0 && int64(e.Iteration-out[len(out)-1].Iteration) != c.Step:
			return nil, corruptChunk(run, fmt.Sprintf("%s: entry %d has iteration %d, not %d after the previous as its step says", where, i, e.Iteration, c.Step))
		}
		out = append(out, e)
	}
	if last := int64(out[len(out)-1].Iteration); last != c.Last {
		return nil, corruptChunk(run, fmt.Sprintf("%s: its last entry has iteration %d, but last_iteration is %d", where, last, c.Last))
	}
	if step := entriesStep(out[start:]); step != c.Step {
		return nil, corruptChunk(run, fmt.Sprintf("%s: step is %d, but its iterations have step %d", where, c.Step, step))
	}
	return out, nil
}

// queryChunks runs a query returning chunkColumns in iteration order and
// decodes the blocks: their entries, and the blocks' headers (data
// dropped). Blocks must follow each other without overlapping. size is
// how many entries the caller expects (a capacity hint).
func queryChunks(ctx context.Context, q querier, run string, size int64, sql string, args ...any) ([]statstore.TrainingIterationStats, []chunk, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	out := make([]statstore.TrainingIterationStats, 0, min(max(size, 0), 1<<24))
	var chunks []chunk
	binaryRows := true
	for _, fd := range rows.FieldDescriptions() {
		binaryRows = binaryRows && fd.Format == pgtype.BinaryFormatCode
	}
	for rows.Next() {
		var c chunk
		if binaryRows {
			// Decoded in place: data is not copied (it is valid until
			// the next row, and decode copies the entries out).
			c, err = rawChunk(rows.RawValues())
		} else {
			c, err = scanChunk(rows)
		}
		if err != nil {
			return nil, nil, err
		}
		if n := len(chunks); n > 0 && c.First <= chunks[n-1].Last {
			return nil, nil, corruptChunk(run, fmt.Sprintf("block from iteration %d overlaps the block from %d to %d", c.First, chunks[n-1].First, chunks[n-1].Last))
		}
		if out, err = c.decode(run, out); err != nil {
			return nil, nil, err
		}
		c.Data = nil
		chunks = append(chunks, c)
	}
	return out, chunks, rows.Err()
}

// rawChunk decodes the binary values of chunkColumns: four 8-byte integers
// (entries a 4-byte one), the checksum (NULL or 8 bytes) and data.
func rawChunk(vals [][]byte) (chunk, error) {
	if len(vals) != 6 || len(vals[0]) != 8 || len(vals[1]) != 8 || len(vals[2]) != 4 || len(vals[3]) != 8 ||
		vals[4] != nil && len(vals[4]) != 8 || vals[5] == nil {
		return chunk{}, fmt.Errorf("block row of %d values: want the binary values of %s", len(vals), chunkColumns)
	}
	c := chunk{
		First:   int64(binary.BigEndian.Uint64(vals[0])),
		Last:    int64(binary.BigEndian.Uint64(vals[1])),
		Entries: int64(int32(binary.BigEndian.Uint32(vals[2]))),
		Step:    int64(binary.BigEndian.Uint64(vals[3])),
		Data:    vals[5],
	}
	if vals[4] != nil {
		crc := int64(binary.BigEndian.Uint64(vals[4]))
		c.CRC = &crc
	}
	return c, nil
}

// queueInsertChunks queues the insert of blocks of the run in b, one
// statement per block (pipelined with the rest of b: no round trip of its
// own; bytea parameters are sent as they are, where an array of them would
// be packed by the client and unpacked by the server).
func queueInsertChunks(b *pgx.Batch, runID int64, chunks []chunk) {
	for _, c := range chunks {
		b.Queue(`INSERT INTO statstore_training_chunks (`+chunkWriteColumns+`) VALUES ($1, `+chunkValueParams(2)+`)`,
			append([]any{runID}, c.writeArgs()...)...)
	}
}

// queueAppend queues in b the writes that append entries (sorted, after
// the stored history) to the run's blocks: new blocks, or, when the last
// block is small, that block rewritten with the new entries (see
// mergeBelow). Only an append of fewer than mergeBelow entries reads the
// last block.
func queueAppend(ctx context.Context, tx pgx.Tx, b *pgx.Batch, run string, r runRow, entries []statstore.TrainingIterationStats) error {
	if len(entries) >= mergeBelow || r.TrainingCount == 0 {
		queueInsertChunks(b, r.ID, splitChunks(entries))
		return nil
	}
	last, err := scanChunk(tx.QueryRow(ctx, `SELECT first_iteration, last_iteration, entries, step, crc32c,
		CASE WHEN entries < $3 THEN data END FROM statstore_training_chunks
		WHERE run_id = $1 AND last_iteration = $2`, r.ID, r.TrainedUntil-1, mergeBelow))
	if errors.Is(err, pgx.ErrNoRows) {
		return corruptChunk(run, fmt.Sprintf("trained_until is %d, but no block ends at iteration %d", r.TrainedUntil, r.TrainedUntil-1))
	}
	if err != nil {
		return fmt.Errorf("read the last block: %w", err)
	}
	if last.Data == nil {
		queueInsertChunks(b, r.ID, splitChunks(entries))
		return nil
	}
	merged, err := last.decode(run, nil)
	if err != nil {
		return err
	}
	// Fewer than 2 × mergeBelow = maxChunkEntries entries: one block.
	head := makeChunk(append(merged, entries...))
	b.Queue(`UPDATE statstore_training_chunks SET (`+chunkWriteColumns+`) = ($1, `+chunkValueParams(2)+`)
		WHERE run_id = $1 AND first_iteration = $2`, append([]any{r.ID}, head.writeArgs()...)...)
	return nil
}
