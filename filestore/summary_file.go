package filestore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// summaryVersion is the version of the summary file's format: 2 ends the
// JSON document with a checksum line and is rewritten in place; 1 (no
// checksum, only ever replaced by rename) is still read.
const summaryVersion = 2

// summaryFile is the summary file's document.
type summaryFile struct {
	Version int `json:"version"`
	runStamps
	// Cover, when set, is the training file's committed prefix the
	// summary summarises (summary_cover.go): a reader whose training file
	// has grown since by appends alone catches up from the records after
	// it. Files without it are used only when their stamps match.
	Cover   *trainCover          `json:"training_cover,omitempty"`
	Summary statstore.RunSummary `json:"summary"`
}

// summaryTrailer is the checksum line after a version 2 document:
// "\ncrc32c:" and the CRC-32C of the document in 8 lower-case hex digits,
// then "\n".
const (
	summaryTrailerPrefix = "\ncrc32c:"
	summaryTrailerLen    = len(summaryTrailerPrefix) + 8 + 1
)

// encodeSummaryFile returns the bytes of a summary file holding f.
func encodeSummaryFile(f summaryFile) ([]byte, error) {
	doc, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(doc, "%s%08x\n", summaryTrailerPrefix, crc32c(doc)), nil
}

// decodeSummaryFile reads a summary file of run; any error means the file
// cannot be used (the summary is then recomputed): a version 2 file whose
// checksum line is missing or does not match (a write in progress, a
// crash's leftover, damage), an unknown version, another run's summary.
func decodeSummaryFile(data []byte, run string) (summaryFile, error) {
	doc, checked, err := splitSummaryTrailer(data)
	if err != nil {
		return summaryFile{}, err
	}
	var f summaryFile
	if err := json.Unmarshal(doc, &f); err != nil {
		return summaryFile{}, fmt.Errorf("summary file: %w", err)
	}
	switch {
	case f.Version == 2 && !checked:
		return summaryFile{}, fmt.Errorf("summary file: version 2 without its checksum line: %w", statstore.ErrInvalidArgument)
	case f.Version == 1 && checked:
		return summaryFile{}, fmt.Errorf("summary file: version 1 with a checksum line: %w", statstore.ErrInvalidArgument)
	case f.Version != 1 && f.Version != 2:
		return summaryFile{}, fmt.Errorf("summary file: version %d, want 1 or 2: %w", f.Version, statstore.ErrInvalidArgument)
	}
	if f.Summary.Run != run {
		return summaryFile{}, fmt.Errorf("summary file: it summarises run %q, not %q: %w", f.Summary.Run, run, statstore.ErrInvalidArgument)
	}
	for _, st := range []*fileStamp{f.Training, f.Validation} {
		if st != nil && st.Size < 0 {
			return summaryFile{}, fmt.Errorf("summary file: negative file size %d: %w", st.Size, statstore.ErrInvalidArgument)
		}
	}
	if f.Cover != nil {
		if f.Training == nil || f.Training.Size < f.Cover.End {
			return summaryFile{}, fmt.Errorf("summary file: a cover up to %d of a training file stamped %+v: %w", f.Cover.End, f.Training, statstore.ErrInvalidArgument)
		}
		if err := f.Cover.check(f.Summary); err != nil {
			return summaryFile{}, fmt.Errorf("%w: %w", err, statstore.ErrInvalidArgument)
		}
	}
	return f, nil
}

// splitSummaryTrailer returns the document of a summary file and whether
// it ended with a checksum line, which then matched; a checksum line that
// does not match is an error.
func splitSummaryTrailer(data []byte) (doc []byte, checked bool, err error) {
	n := len(data)
	if n < summaryTrailerLen || data[n-1] != '\n' || !bytes.HasPrefix(data[n-summaryTrailerLen:], []byte(summaryTrailerPrefix)) {
		return data, false, nil
	}
	doc = data[:n-summaryTrailerLen]
	hex := string(data[n-summaryTrailerLen+len(summaryTrailerPrefix) : n-1])
	want, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || hex != strings.ToLower(hex) {
		return nil, false, fmt.Errorf("summary file: checksum line %q: %w", hex, statstore.ErrInvalidArgument)
	}
	if got := crc32c(doc); uint64(got) != want {
		return nil, false, fmt.Errorf("summary file: checksum %08x, the line says %08x (a write in progress, or damage): %w", got, want, statstore.ErrInvalidArgument)
	}
	return doc, true, nil
}

// writeSummaryFile writes data, a whole summary file, at path: in place
// (one write, one truncate: no new file, no rename, so the data file's
// fdatasync that follows carries less file-system metadata) when path is
// a regular file with one name; otherwise (missing, a symbolic link, a
// hard link, anything else) by a new file renamed over it. The caller
// holds the run's lock, so writers never interleave; a reader that meets
// a write in progress fails the checksum and recomputes. rf, the run's
// kept files (nil: none), saves the open: the summary file it keeps is
// written when path still names it, a regular file with one link (one
// lstat), and a file opened here is kept in it.
func (s *Store) writeSummaryFile(path string, data []byte, rf *runFiles) error {
	if rf != nil && rf.sum != nil {
		fi, err := s.fs.Lstat(path)
		if err == nil && fi.Mode().IsRegular() && linksOf(fi) == 1 && os.SameFile(fi, rf.sumFI) {
			if err = writeSummaryIn(rf.sum, data, fi.Size()); err == nil {
				return nil
			}
		}
		rf.closeSum() // replaced, linked, removed or failed: opened afresh
	}
	f, err := s.fs.OpenFile(path, os.O_RDWR|fsutil.NonBlock|fsutil.NoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = s.createSummary(path)
	}
	if err == nil {
		fi, serr := f.Stat()
		if serr == nil && fi.Mode().IsRegular() && linksOf(fi) == 1 {
			err = writeSummaryIn(f, data, fi.Size())
			if err == nil && rf != nil && keepFilesOpen {
				rf.sum, rf.sumFI = f, fi
				return nil
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
		_ = f.Close() // not written to: replaced below
	}
	err = fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), path, data, filePerm, true)
	if errors.Is(err, fs.ErrNotExist) {
		if err = s.fs.MkdirAll(filepath.Dir(path), dirPerm); err == nil {
			err = fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), path, data, filePerm, true)
		}
	}
	return err
}

// createSummary creates the summary file at path, which does not exist,
// in place: no temporary file and rename, which cost a new run's first
// write more than its data's fsync. A crash that cuts the write leaves a
// file whose checksum fails, which readers recompute and the next writer
// rewrites.
func (s *Store) createSummary(path string) (fsutil.File, error) {
	const flag = os.O_RDWR | os.O_CREATE | os.O_EXCL | fsutil.NonBlock | fsutil.NoFollow
	f, err := s.fs.OpenFile(path, flag, filePerm)
	if errors.Is(err, fs.ErrNotExist) {
		if err = s.fs.MkdirAll(filepath.Dir(path), dirPerm); err == nil {
			f, err = s.fs.OpenFile(path, flag, filePerm)
		}
	}
	return f, err
}

// writeSummaryIn rewrites the summary file f, of size bytes, in place to
// hold data.
func writeSummaryIn(f fsutil.File, data []byte, size int64) error {
	_, err := f.WriteAt(data, 0)
	if err == nil && size > int64(len(data)) {
		err = f.Truncate(int64(len(data)))
	}
	return err
}
