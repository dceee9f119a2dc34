package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// The client spool (docs/format.md, "Client spool"): the append-only file
// the Python client writes the store calls to that the server could not
// take, replayed by the next client or by statstore sync.
const (
	spoolMagic       = "STSPOOL\x00"
	spoolVersion     = 1
	spoolHeaderSize  = 16
	spoolRecHeader   = 12
	spoolMaxRecord   = 1 << 30
	spoolTraining    = 1
	spoolValidation  = 2
	spoolAck         = 3
	spoolSuffix      = ".spool"
	spoolRejectedPre = "rejected-"
)

// spoolRecord is one store call of a spool: Training or Validation is set.
type spoolRecord struct {
	Off, End   int64 // where the record starts and ends in its file
	Training   *spoolTrainingCall
	Validation *spoolValidationCall
}

// spoolTrainingCall is a training store call. Whole: the entries are the
// run's whole history (extend when it reaches further, else replace);
// otherwise they extend a history trained until Base.
type spoolTrainingCall struct {
	Run     string
	Whole   bool
	Base    int64
	Entries []statstore.TrainingIterationStats
}

// spoolValidationCall is a validation store call, merged by iteration.
type spoolValidationCall struct {
	Run    string
	Scores *statstore.ValidationScores
}

// spoolFile is what decodeSpool finds in a file.
type spoolFile struct {
	Pending  []spoolRecord // the records after the last ack, in order
	ValidEnd int64         // the end of the valid records
	Torn     bool          // bytes after ValidEnd: a torn last record, ignored
}

// decodeSpool decodes a whole spool file. A torn last record (its header
// or body cut short, or a zero-filled tail) is reported as Torn and
// ignored; any other damage is a *statstore.CorruptError naming path and
// the offset of the damaged record.
func decodeSpool(path string, data []byte) (spoolFile, error) {
	corrupt := func(off int, format string, args ...any) error {
		return &statstore.CorruptError{Path: path, Offset: int64(off), Reason: "spool: " + fmt.Sprintf(format, args...)}
	}
	if len(data) < spoolHeaderSize {
		if strings.HasPrefix(spoolHeader(), string(data)) || allZero(data) {
			return spoolFile{ValidEnd: int64(len(data))}, nil // killed while creating the file
		}
		return spoolFile{}, corrupt(0, "not a statstore spool file (bad header)")
	}
	if string(data[:spoolHeaderSize]) != spoolHeader() {
		if string(data[:8]) == spoolMagic && binary.LittleEndian.Uint32(data[8:12]) != spoolVersion {
			return spoolFile{}, corrupt(0, "spool version %d, want %d", binary.LittleEndian.Uint32(data[8:12]), spoolVersion)
		}
		return spoolFile{}, corrupt(0, "not a statstore spool file (bad header)")
	}
	var (
		recs  []spoolRecord
		acked int64
		off   = spoolHeaderSize
		torn  bool
	)
	for off < len(data) {
		rest := data[off:]
		if len(rest) < spoolRecHeader {
			torn = true // a header cut short
			break
		}
		n := binary.LittleEndian.Uint32(rest[0:4])
		if crc32.ChecksumIEEE(rest[:8]) != binary.LittleEndian.Uint32(rest[8:12]) {
			if allZero(rest) {
				torn = true
				break
			}
			return spoolFile{}, corrupt(off, "record header fails its checksum")
		}
		if n < 1 || n > spoolMaxRecord {
			return spoolFile{}, corrupt(off, "record length %d out of range", n)
		}
		if int64(len(rest)) < spoolRecHeader+int64(n) {
			torn = true // the body cut short
			break
		}
		body := rest[spoolRecHeader : spoolRecHeader+int(n)]
		if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(rest[4:8]) {
			return spoolFile{}, corrupt(off, "record body fails its checksum")
		}
		end := off + spoolRecHeader + int(n)
		rec, ack, err := decodeSpoolBody(body)
		if err != nil {
			return spoolFile{}, corrupt(off, "%v", err)
		}
		if rec == nil {
			if ack > uint64(off) || int64(ack) < acked {
				return spoolFile{}, corrupt(off, "ack of offset %d out of order", ack)
			}
			acked = int64(ack)
		} else {
			rec.Off, rec.End = int64(off), int64(end)
			recs = append(recs, *rec)
		}
		off = end
	}
	out := spoolFile{ValidEnd: int64(off), Torn: torn}
	for _, r := range recs {
		if r.End > acked {
			out.Pending = append(out.Pending, r)
		}
	}
	return out, nil
}

// spoolHeader is the 16 bytes every spool file starts with.
func spoolHeader() string {
	var b [spoolHeaderSize]byte
	copy(b[:], spoolMagic)
	binary.LittleEndian.PutUint32(b[8:], spoolVersion)
	binary.LittleEndian.PutUint32(b[12:], crc32.ChecksumIEEE(b[:12]))
	return string(b[:])
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// spoolReader reads the fields of one record body.
type spoolReader struct {
	b   []byte
	err error
}

func (r *spoolReader) take(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("record body ends early")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *spoolReader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *spoolReader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *spoolReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *spoolReader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *spoolReader) run() string {
	b := r.take(uint64(r.u16()))
	if r.err == nil && !utf8.Valid(b) {
		r.err = errors.New("run name is not UTF-8")
	}
	return string(b)
}

// decodeSpoolBody decodes a record body: a store call, or (nil, the acked
// offset) for an ack.
func decodeSpoolBody(body []byte) (*spoolRecord, uint64, error) {
	r := &spoolReader{b: body}
	kind := r.u8()
	var rec *spoolRecord
	var ack uint64
	switch kind {
	case spoolTraining:
		flags := r.u8()
		t := &spoolTrainingCall{Run: r.run(), Base: int64(r.u64())}
		n := uint64(r.u32())
		if r.err == nil && n*24 > uint64(len(r.b)) {
			return nil, 0, fmt.Errorf("training record of %d entries holds %d bytes", n, len(r.b))
		}
		its, losses, times := r.take(8*n), r.take(8*n), r.take(8*n)
		if r.err != nil {
			break
		}
		if flags > 1 {
			return nil, 0, fmt.Errorf("unknown training flags %d", flags)
		}
		t.Whole = flags == 1
		t.Entries = make([]statstore.TrainingIterationStats, n)
		for i := range t.Entries {
			it := int64(binary.LittleEndian.Uint64(its[8*i:]))
			if it < 0 || int64(int(it)) != it {
				return nil, 0, fmt.Errorf("training entry %d: iteration %d out of range", i, it)
			}
			t.Entries[i] = statstore.TrainingIterationStats{
				Iteration: int(it),
				Loss:      math.Float64frombits(binary.LittleEndian.Uint64(losses[8*i:])),
				Time:      math.Float64frombits(binary.LittleEndian.Uint64(times[8*i:])),
			}
		}
		rec = &spoolRecord{Training: t}
	case spoolValidation:
		v, err := decodeSpoolValidation(r)
		if err != nil {
			return nil, 0, err
		}
		rec = &spoolRecord{Validation: v}
	case spoolAck:
		ack = r.u64()
	default:
		return nil, 0, fmt.Errorf("unknown record type %d", kind)
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	if len(r.b) != 0 {
		return nil, 0, fmt.Errorf("%d bytes after the record's data", len(r.b))
	}
	return rec, ack, nil
}

func decodeSpoolValidation(r *spoolReader) (*spoolValidationCall, error) {
	run := r.run()
	metaJSON := r.take(uint64(r.u32()))
	n, nd, np, nc := uint64(r.u32()), uint64(r.u32()), uint64(r.u32()), uint64(r.u32())
	if r.err != nil {
		return nil, r.err
	}
	size := nd * np * nc
	if nd > spoolMaxRecord || np > spoolMaxRecord || nc > spoolMaxRecord || size > spoolMaxRecord || n > uint64(len(r.b))/(8+8*size) {
		return nil, fmt.Errorf("validation record of %d entries of %d×%d×%d scores holds %d bytes", n, nd, np, nc, len(r.b))
	}
	var meta statstore.Metadata
	if err := json.Unmarshal(metaJSON, &meta); err != nil {
		return nil, err
	}
	if sh := meta.Shape(); uint64(sh[0]) != nd || uint64(sh[1]) != np || uint64(sh[2]) != nc {
		return nil, fmt.Errorf("scores of %d×%d×%d, but the metadata name %d×%d×%d", nd, np, nc, sh[0], sh[1], sh[2])
	}
	vs, err := statstore.NewValidationScores(meta)
	if err != nil {
		return nil, err
	}
	for range n {
		it := int64(r.u64())
		flat := r.take(8 * size)
		if r.err != nil {
			return nil, r.err
		}
		if it < 0 || int64(int(it)) != it {
			return nil, fmt.Errorf("validation iteration %d out of range", it)
		}
		scores := make([][][]float64, nd)
		k := 0
		for d := range scores {
			scores[d] = make([][]float64, np)
			for p := range scores[d] {
				scores[d][p] = make([]float64, nc)
				for c := range scores[d][p] {
					scores[d][p][c] = math.Float64frombits(binary.LittleEndian.Uint64(flat[8*k:]))
					k++
				}
			}
		}
		vs.Scores = append(vs.Scores, statstore.ValidationIterationScores{Iteration: int(it), Scores: scores})
	}
	return &spoolValidationCall{Run: run, Scores: vs}, nil
}

// spoolFrame frames a record body.
func spoolFrame(body []byte) []byte {
	out := make([]byte, spoolRecHeader, spoolRecHeader+len(body))
	binary.LittleEndian.PutUint32(out[0:], uint32(len(body)))
	binary.LittleEndian.PutUint32(out[4:], crc32.ChecksumIEEE(body))
	binary.LittleEndian.PutUint32(out[8:], crc32.ChecksumIEEE(out[:8]))
	return append(out, body...)
}

// spoolAckFrame is the framed ack of every record ending at or before end.
func spoolAckFrame(end int64) []byte {
	body := make([]byte, 9)
	body[0] = spoolAck
	binary.LittleEndian.PutUint64(body[1:], uint64(end))
	return spoolFrame(body)
}

// syncStats is what sync did.
type syncStats struct {
	files, held, records, rejected, training int
	merge                                    statstore.ValidationMerge
}

func newSyncCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "sync SPOOL...",
		Short: "Replay the spool files the Python client left into the store",
		Long: `Replay into the store (--store) the spool files the Python client
(python/statstore_client.py) wrote while the server could not be reached,
for instance by a training job that was killed before it could replay them.
SPOOL is a spool file or a directory searched for *.spool files (the
client's default: ~/.cache/statstore/spool). The calls are applied in order
with the rules a server applies: training extends or overwrites (a call
that is already stored changes nothing), validation merges by iteration.
A file is removed once every call in it is stored; running sync again is
harmless.

Files a running client holds (locked) are left to it. A torn last record
(a process killed while writing it) is ignored; damage elsewhere is an
error naming the file and offset, and that file is left as it is. Calls
the store refuses for good (a bad run name, a metadata mismatch) are kept
in a rejected-*.spool file next to it and reported; sync then exits 1.`,
		Example: `  statstore --store /data/stats sync ~/.cache/statstore/spool
  statstore --store postgres://stats@db/stats sync ./job-42.spool`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := spoolFiles(args)
			if err != nil {
				return err
			}
			var st syncStats
			var refused []error
			err = app.withStore(cmd.Context(), readWrite, func(s statstore.StatsStore) error {
				for _, f := range files {
					errs, err := app.syncFile(cmd.Context(), s, f, &st)
					refused = append(refused, errs...)
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "synced %d spool files (%d held by a running client, left to it): %d calls, %d training entries sent, validation %s\n",
				st.files, st.held, st.records, st.training, st.merge)
			if len(refused) > 0 {
				return &userError{msg: fmt.Sprintf("the store refused %d calls, kept in rejected-*.spool files:\n  %s", len(refused), joinErrors(refused)),
					hint: "fix what the message names, then remove the rejected file"}
			}
			return nil
		},
	}
}

func joinErrors(errs []error) string {
	s := make([]string, len(errs))
	for i, e := range errs {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n  ")
}

// spoolFiles lists the spool files the arguments name, each directory's
// in name (creation time) order; rejected files are left out.
func spoolFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, &userError{msg: fmt.Sprintf("spool %s: %v", a, err), hint: "name a spool file or directory, like ~/.cache/statstore/spool"}
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), spoolSuffix) && !strings.HasPrefix(d.Name(), spoolRejectedPre) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("spool %s: %w", a, err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// syncFile replays one spool file into s under its lock, acking each call
// as it is stored, and removes the file when all are. It returns the
// calls the store refused for good (kept in a rejected file) and any
// other error.
func (a *App) syncFile(ctx context.Context, s statstore.StatsStore, path string, st *syncStats) ([]error, error) {
	lock := flock.New(path, flock.SetFlag(os.O_RDWR))
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("sync: lock %s: %w", path, err)
	}
	if !ok {
		st.held++
		fmt.Fprintf(a.Stderr, "statstore: %s is held by a running client, which replays it itself\n", path)
		return nil, nil
	}
	defer lock.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("sync: read %s: %w", path, err)
	}
	sf, err := decodeSpool(path, data)
	if err != nil {
		return nil, err
	}
	if sf.Torn {
		a.log().Warn("spool: ignoring a torn last record", "file", path, "offset", sf.ValidEnd)
	}
	st.files++
	// Acks follow the valid records: a torn tail is cut off first. (A file
	// without a whole header has no records: it is only removed.)
	end := sf.ValidEnd
	if len(sf.Pending) > 0 {
		if err := f.Truncate(end); err != nil {
			return nil, fmt.Errorf("sync: %w", err)
		}
	}
	var refused []error
	var rejected *os.File
	defer func() {
		if rejected != nil {
			_ = rejected.Close()
		}
	}()
	for _, calls := range mergeSpoolCalls(sf.Pending) {
		applyErr := applySpoolCall(ctx, s, calls, st)
		if applyErr != nil && !refusedForGood(applyErr) {
			return refused, fmt.Errorf("sync %s at offset %d: %w", path, calls.Off, applyErr)
		}
		if applyErr != nil {
			if rejected == nil {
				if rejected, err = createRejected(path); err != nil {
					return refused, err
				}
			}
			for _, off := range calls.parts {
				frame := data[off.start:off.end]
				if _, err := rejected.Write(frame); err != nil {
					return refused, fmt.Errorf("sync: keep a refused call: %w", err)
				}
			}
			if err := rejected.Sync(); err != nil {
				return refused, fmt.Errorf("sync: keep a refused call: %w", err)
			}
			st.rejected++
			refused = append(refused, fmt.Errorf("%s at offset %d: %w (kept in %s)", path, calls.Off, applyErr, rejected.Name()))
		}
		st.records += len(calls.parts)
		ack := spoolAckFrame(calls.End)
		if _, err := f.WriteAt(ack, end); err != nil {
			return refused, fmt.Errorf("sync: ack in %s: %w", path, err)
		}
		end += int64(len(ack))
	}
	if err := f.Sync(); err != nil {
		return refused, fmt.Errorf("sync: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return refused, fmt.Errorf("sync: remove %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the removal's durability; the calls are stored either way
		_ = d.Close()
	}
	return refused, nil
}

// refusedForGood reports whether err is the store refusing the call's
// data (which replaying again would not change), not a failure to store.
func refusedForGood(err error) bool {
	for _, e := range []error{statstore.ErrInvalidRunName, statstore.ErrOutOfOrder, statstore.ErrShapeMismatch,
		statstore.ErrMetadataMismatch, statstore.ErrInvalidArgument} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// createRejected creates the rejected-*.spool file next to path.
func createRejected(path string) (*os.File, error) {
	name := filepath.Join(filepath.Dir(path), spoolRejectedPre+filepath.Base(path))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		if _, err := f.WriteString(spoolHeader()); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("sync: %w", err)
		}
	}
	return f, nil
}

// spoolCalls is one store call made of consecutive records (a training
// history and the calls extending it).
type spoolCalls struct {
	spoolRecord
	parts []struct{ start, end int64 }
}

// mergeSpoolCalls merges consecutive training records of a run that
// extend an extension into one call, as the client does. A whole history
// is never merged with what follows: whether it replaces the stored one
// depends on how far it reaches itself.
func mergeSpoolCalls(recs []spoolRecord) []spoolCalls {
	var out []spoolCalls
	for _, r := range recs {
		part := struct{ start, end int64 }{r.Off, r.End}
		if n := len(out); n > 0 && r.Training != nil && out[n-1].Training != nil {
			prev, t := out[n-1].Training, r.Training
			if prev.Run == t.Run && !prev.Whole && !t.Whole && (len(prev.Entries) == 0 || len(t.Entries) == 0 ||
				t.Entries[0].Iteration > prev.Entries[len(prev.Entries)-1].Iteration) {
				merged := *prev
				merged.Entries = append(append([]statstore.TrainingIterationStats(nil), prev.Entries...), t.Entries...)
				out[n-1].Training = &merged
				out[n-1].End = r.End
				out[n-1].parts = append(out[n-1].parts, part)
				continue
			}
		}
		out = append(out, spoolCalls{spoolRecord: r, parts: []struct{ start, end int64 }{part}})
	}
	return out
}

// applySpoolCall stores one call with the rules a replay needs to be
// idempotent: training that the store already holds (it reaches as far)
// is skipped unless it is a whole history, which then replaces; only the
// entries past the stored trained-until are sent; validation merges.
func applySpoolCall(ctx context.Context, s statstore.StatsStore, c spoolCalls, st *syncStats) error {
	if v := c.Validation; v != nil {
		m, err := s.MergeValidationScores(ctx, v.Run, v.Scores)
		if err != nil {
			return err
		}
		st.merge.Inserted = append(st.merge.Inserted, m.Inserted...)
		st.merge.Replaced = append(st.merge.Replaced, m.Replaced...)
		st.merge.Unchanged = append(st.merge.Unchanged, m.Unchanged...)
		return nil
	}
	t := c.Training
	if len(t.Entries) == 0 {
		return nil
	}
	until, err := trainedUntil(ctx, s, t.Run)
	if err != nil {
		return err
	}
	entries := t.Entries
	last := entries[len(entries)-1].Iteration
	switch {
	case last+1 > until:
		if until > 0 && entries[0].Iteration < until {
			i := sort.Search(len(entries), func(i int) bool { return entries[i].Iteration >= until })
			entries = entries[i:]
		}
	case t.Whole:
		// behind or equal: the whole history replaces the stored one
	default:
		return nil // an extension the store already holds
	}
	if err := s.StoreTrainingStats(ctx, t.Run, &statstore.TrainingStats{IterationStats: entries}); err != nil {
		return err
	}
	st.training += len(entries)
	return nil
}
