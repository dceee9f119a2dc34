package filestore

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// The summary index, DIR/.summary-index, holds every run's summary with
// the stamps of the data files it summarises, so that a freshly opened
// Store lists 10,000 runs with one read instead of 10,000 summary files.
// It is a cache like the summary files (see summariesDir): RunSummaries
// rewrites it whole (temporary file and rename, without fsync) when what
// it listed differs from it, and an entry is used only when its stamps
// equal the run's files as they are now, so a run written by another
// process meanwhile (whose entry is then stale) is summarised again from
// its summary file or its history. Layout:
//
//	0   8 bytes  magic "STATSIDX"
//	8   2 bytes  version, little-endian (1)
//	10  2 bytes  zero
//	12  4 bytes  payload length n, little-endian
//	16  4 bytes  CRC-32C (Castagnoli) of the payload
//	20  n bytes  payload: the gob encoding of []indexEntry
//
// An index that fails any check is ignored (and rewritten by the next
// listing of a writable Store).
const (
	summaryIndexFile    = ".summary-index"
	summaryIndexMagic   = "STATSIDX"
	summaryIndexVersion = 1
	summaryIndexHeader  = 20
	maxSummaryIndex     = 1 << 30
)

// indexEntry is one run's entry of the summary index.
type indexEntry struct {
	Run        string
	Training   *fileStamp
	Validation *fileStamp
	Summary    statstore.RunSummary
}

// encodeSummaryIndex returns the index file holding entries.
func encodeSummaryIndex(entries []indexEntry) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(make([]byte, summaryIndexHeader))
	if err := gob.NewEncoder(&buf).Encode(entries); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	payload := data[summaryIndexHeader:]
	copy(data, summaryIndexMagic)
	binary.LittleEndian.PutUint16(data[8:], summaryIndexVersion)
	binary.LittleEndian.PutUint32(data[12:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(data[16:], crc32c(payload))
	return data, nil
}

// decodeSummaryIndex reads an index file; any error means it cannot be
// used.
func decodeSummaryIndex(data []byte) ([]indexEntry, error) {
	if len(data) < summaryIndexHeader || string(data[:8]) != summaryIndexMagic {
		return nil, fmt.Errorf("summary index: no magic %q: %w", summaryIndexMagic, statstore.ErrInvalidArgument)
	}
	if v := binary.LittleEndian.Uint16(data[8:]); v != summaryIndexVersion {
		return nil, fmt.Errorf("summary index: version %d, want %d: %w", v, summaryIndexVersion, statstore.ErrInvalidArgument)
	}
	payload := data[summaryIndexHeader:]
	if n := binary.LittleEndian.Uint32(data[12:]); int64(n) != int64(len(payload)) {
		return nil, fmt.Errorf("summary index: payload length %d, but the file holds %d bytes after the header: %w", n, len(payload), statstore.ErrInvalidArgument)
	}
	if got, want := crc32c(payload), binary.LittleEndian.Uint32(data[16:]); got != want {
		return nil, fmt.Errorf("summary index: checksum %08x, want %08x: %w", got, want, statstore.ErrInvalidArgument)
	}
	var entries []indexEntry
	dec := gob.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("summary index: %v: %w", err, statstore.ErrInvalidArgument)
	}
	for _, e := range entries {
		if e.Summary.Run != e.Run || statstore.ValidateRunName(e.Run) != nil {
			return nil, fmt.Errorf("summary index: an entry of run %q summarises %q: %w", e.Run, e.Summary.Run, statstore.ErrInvalidArgument)
		}
		for _, st := range []*fileStamp{e.Training, e.Validation} {
			if st != nil && st.Size < 0 {
				return nil, fmt.Errorf("summary index: run %q: negative file size %d: %w", e.Run, st.Size, statstore.ErrInvalidArgument)
			}
		}
	}
	return entries, nil
}

// loadSummaryIndex reads the summary index into the Store's cache once
// (entries the cache holds already are kept); an index that is missing
// or cannot be used is skipped.
func (s *Store) loadSummaryIndex() {
	s.mu.Lock()
	done := s.sumIndexed
	s.sumIndexed = true
	s.mu.Unlock()
	if done {
		return
	}
	path := filepath.Join(s.dir, summaryIndexFile)
	f, err := s.fs.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return
	}
	data, err := io.ReadAll(io.NewSectionReader(f, 0, maxSummaryIndex))
	_ = f.Close() // read-only: nothing to lose
	if err != nil {
		return
	}
	entries, err := decodeSummaryIndex(data)
	if err != nil {
		s.log.Warn("summary index not used; the next listing rewrites it", "path", path, "error", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sums == nil {
		s.sums = make(map[string]cachedSummary, len(entries))
	}
	for _, e := range entries {
		if _, ok := s.sums[e.Run]; !ok {
			s.sums[e.Run] = cachedSummary{stamps: runStamps{e.Training, e.Validation}, sum: e.Summary, indexed: true}
		}
	}
}

// saveSummaryIndex rewrites the summary index from the Store's cache
// when the runs listed (whose summaries are all cached, current when
// taken) differ from what the index holds (a run not in it or in another
// state, or a run in it no longer listed) in at least one run of 64: a
// few runs in training change at every write, and a fresh Store reads
// their summary files (a small cost) rather than this Store rewriting
// the whole index at every listing. Errors are only logged: the index is
// a cache.
func (s *Store) saveSummaryIndex(runs []string) {
	if s.opts.ReadOnly {
		return
	}
	listed := make(map[string]bool, len(runs))
	entries := make([]indexEntry, 0, len(runs))
	changed := 0
	s.mu.Lock()
	for _, run := range runs {
		c, ok := s.sums[run]
		if !ok {
			continue
		}
		listed[run] = true
		if !c.indexed {
			changed++
		}
		sum := c.sum
		sum.Run, sum.LastWrite, sum.Tags, sum.MetaDigest = run, time.Time{}, nil, ""
		entries = append(entries, indexEntry{Run: run, Training: c.stamps.Training, Validation: c.stamps.Validation, Summary: sum})
	}
	for run, c := range s.sums {
		if !listed[run] {
			if c.indexed {
				changed++
			}
			delete(s.sums, run)
		}
	}
	s.mu.Unlock()
	if changed == 0 || changed*64 < len(runs) {
		return
	}
	data, err := encodeSummaryIndex(entries)
	if err == nil {
		err = fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), filepath.Join(s.dir, summaryIndexFile), data, filePerm, true)
	}
	if err != nil {
		s.log.Warn("summary index not written; listings read the summary files", "error", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		if c, ok := s.sums[e.Run]; ok && c.stamps.equal(runStamps{e.Training, e.Validation}) {
			c.indexed = true
			s.sums[e.Run] = c
		}
	}
}
