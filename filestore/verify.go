package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/bits"
	"os"
	"path/filepath"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// Report is what Verify (or Repair) found in a store's files.
type Report struct {
	Files []FileReport
}

// FileReport is the state of one data file.
type FileReport struct {
	// Path is the file's path.
	Path string
	// Size is the file's size in bytes.
	Size int64
	// ValidBytes is the length of the longest valid prefix: the header and
	// the complete, checksummed, decodable records before any damage.
	ValidBytes int64
	// Records is the number of records in the valid prefix.
	Records int
	// TornTail reports bytes after the last record that an interrupted
	// write left: harmless, the next writer truncates them.
	TornTail bool
	// Err is nil or the *statstore.CorruptError of the first damage.
	Err error
	// NotRegular reports a directory, named pipe, dangling link or other
	// non-regular file standing where a run's data file must be: Repair
	// leaves it for the user to move away.
	NotRegular bool
	// Backup is where Repair copied the file before changing it.
	Backup string
	// Kept is the number of entries the file holds after Repair changed
	// it: training entries, or validation iterations (0 when it removed
	// the file).
	Kept int
	// Lost lists, in file order, what Repair could not keep of a corrupt
	// file: every chunk that verifies and fits is kept, so each range is
	// damage (or data that does not fit around it). A torn tail is not
	// listed: no call acknowledged it.
	Lost []LostRange
	// Removed reports that Repair removed the file: nothing in it could be
	// kept (the backup holds it).
	Removed bool
	// Notes are decisions Repair made that the user should know of (a
	// rebuilt header, superseded marks applied whose record was lost).
	Notes []string
	// Foreign reports a file that does not start like a statstore file at
	// all (more than two bits away from the magic, or empty): another
	// tool's file, such as a DaCapo pickle. Repair refuses to work on a
	// store that holds one.
	Foreign bool
}

// OK reports whether no file is corrupt (torn tails are not corruption).
func (r *Report) OK() bool {
	for _, f := range r.Files {
		if f.Err != nil {
			return false
		}
	}
	return true
}

// Verify checks every data file of the store in dir (fsck): every record's
// checksum and contents, the order of iterations, and whether bytes after
// the last record are a torn tail or corruption. It changes nothing and
// takes no locks. Its error is for failures to read; damage is reported in
// the FileReports.
func Verify(ctx context.Context, dir string) (*Report, error) {
	return verify(ctx, fsutil.OS{}, dir)
}

func verify(ctx context.Context, fsys fsutil.FS, dir string) (*Report, error) {
	rep := &Report{}
	for _, k := range []fileKind{kindTraining, kindValidation} {
		entries, err := fsys.ReadDir(filepath.Join(dir, k.dirName()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, pathError("verify", dir, err)
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return nil, pathError("verify", dir, err)
			}
			fr, err := verifyFile(fsys, filepath.Join(dir, k.dirName(), e.Name()), k)
			if err != nil {
				return nil, err
			}
			if fr.Path == "" {
				continue
			}
			rep.Files = append(rep.Files, fr)
		}
	}
	metas, err := verifyMetaFiles(ctx, fsys, dir)
	if err != nil {
		return nil, err
	}
	rep.Files = append(rep.Files, metas...)
	return rep, nil
}

// verifyFile checks one data file of kind k.
func verifyFile(fsys fsutil.FS, path string, k fileKind) (fr FileReport, err error) {
	fr.Path = path
	f, err := openData(fsys, path, false)
	var ce *statstore.CorruptError
	switch {
	case errors.As(err, &ce):
		fr.Err, fr.NotRegular = err, true // a directory or a named pipe where a run's file must be
		return fr, nil
	case err != nil:
		return fr, pathError("verify", path, err)
	case f == nil:
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			fr.Err = &statstore.CorruptError{Path: path, Offset: 0, Reason: "a symbolic link to nothing stands where a run's data file must be"}
			fr.NotRegular = true
			return fr, nil
		}
		return FileReport{}, nil // deleted since the directory was listed
	}
	defer closeFile(f, &err)
	h, fi, err := readHeader(f, k)
	var size int64
	if fi != nil {
		size = fi.Size()
	}
	fr.Size = size
	if err != nil {
		if errors.As(err, &ce) {
			fr.Err = err
			fr.Foreign, err = isForeign(f, size)
			return fr, err
		}
		return fr, err
	}
	check := decoderFor(k, h.version)
	res, err := h.layout().Check(f, size, check)
	if err != nil {
		return fr, pathError("verify", path, err)
	}
	fr.ValidBytes, fr.Records, fr.TornTail = res.ValidEnd, res.Records, res.Torn
	if res.Err != nil {
		fr.Err = corrupt(path, res.Err.Offset, errors.New(res.Err.Reason))
	}
	return fr, nil
}

// isForeign reports whether the file f of the given size, whose header
// does not check, is not a statstore file at all rather than a damaged one:
// empty (statstore writes no empty file), or its first bytes more than two
// bits away from the magic (damage flips bits; another tool's file differs
// in many).
func isForeign(f fsutil.File, size int64) (bool, error) {
	if size == 0 {
		return true, nil
	}
	b := make([]byte, len(magic))
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("filestore: verify %s: %w", f.Name(), err)
	}
	diff := 8 * (len(magic) - n)
	for i := range n {
		diff += bits.OnesCount8(b[i] ^ magic[i])
	}
	return diff > 2, nil
}

// decoderFor returns a record checker for files of kind k in a format
// version: it decodes every record as readers do (validation records
// applied in order, as the version defines) and reports what does not
// decode as an *record.Error at the record's offset.
func decoderFor(k fileKind, version uint16) func(record.Record) error {
	if k == kindValidation {
		return newValSnap(fileState{version: version}).add
	}
	count, prev := 0, -1
	return func(rec record.Record) error {
		entries, err := decodeTrainingRecord(rec.Payload, count, prev)
		if err != nil {
			return &record.Error{Offset: rec.Off, Reason: err.Error()}
		}
		count += len(entries)
		prev = entries[len(entries)-1].Iteration
		return nil
	}
}

// Repair verifies the store in dir and fixes every file with a torn tail
// or corruption, after copying it to DIR/.backup/<kind>/<run>.<unix-nanos>.
// A torn tail is truncated. A corrupt file is salvaged: every chunk that
// verifies and fits is kept, also after the damage, so that damage costs
// only the entries of the chunks it touches (training) or the records it
// touches (validation); a file with nothing left to keep is removed.
// The repaired file keeps its format version and file id and is written
// as a new file, fsynced and renamed into place: a crash leaves the old
// file or the repaired one, and the backup. It takes each run's writer
// lock while it works on the run's file. The report describes the files
// as found, and for each file it changed the backup, what it kept and
// what it lost.
func Repair(ctx context.Context, dir string, logger *slog.Logger) (*Report, error) {
	return repair(ctx, fsutil.OS{}, dir, logger)
}

func repair(ctx context.Context, fsys fsutil.FS, dir string, logger *slog.Logger) (*Report, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s, err := Open(dir, Options{Logger: logger, fs: fsys})
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Close() }() // a Store has nothing to flush
	rep, err := verify(ctx, fsys, dir)
	if err != nil {
		return nil, err
	}
	for _, fr := range rep.Files {
		if fr.Foreign {
			return rep, fmt.Errorf("filestore: repair %s: %s is not a statstore file (%v): the directory holds another tool's files (a DaCapo directory?); nothing was changed: %w",
				dir, fr.Path, fr.Err, statstore.ErrInvalidArgument)
		}
	}
	for i, fr := range rep.Files {
		if fr.Err == nil && !fr.TornTail {
			continue
		}
		if fr.NotRegular {
			logger.Warn("repair: leaving alone what is not a regular file; move it away by hand", "path", fr.Path, "error", fr.Err)
			continue
		}
		if isMetaPath(dir, fr.Path) {
			if err := s.repairMetaFile(ctx, filepath.Base(fr.Path), &rep.Files[i]); err != nil {
				return rep, err
			}
			continue
		}
		if err := s.repairFile(ctx, fileKindOf(fr.Path), filepath.Base(fr.Path), &rep.Files[i]); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// repairFile backs up and repairs (or removes) one damaged file under its
// run's lock, recording in fr where the backup is and what it kept and
// lost (nothing when a writer fixed the file meanwhile).
func (s *Store) repairFile(ctx context.Context, k fileKind, run string, fr *FileReport) (err error) {
	unlock, err := s.lockRun(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	// Check again under the lock: a writer may have fixed a torn tail.
	now, err := verifyFile(s.fs, fr.Path, k)
	if err != nil {
		return err
	}
	if now.Err == nil && !now.TornTail {
		return nil
	}
	data, sv, err := s.salvage(k, run, now)
	if err != nil {
		return err
	}
	backup, err := s.backup(k, run, "", data)
	if err != nil {
		return fmt.Errorf("filestore: repair %s: nothing changed: %w", fr.Path, err)
	}
	fr.Backup, fr.Kept, fr.Lost, fr.Notes = backup, sv.kept, sv.lost, sv.notes
	s.cacheTrain(run, nil)
	s.cacheVal(run, nil)
	if sv.file == nil {
		if err := fsutil.RemoveDurably(s.fs, fr.Path, false); err != nil {
			return fmt.Errorf("filestore: repair %s: %w", fr.Path, err)
		}
		fr.Removed = true
		s.log.Warn("repair: removed a file with nothing left to keep", "path", fr.Path, "backup", backup, "lost", len(sv.lost), "error", now.Err)
		return nil
	}
	if err := fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), fr.Path, sv.file, filePerm, false); err != nil {
		return fmt.Errorf("filestore: repair %s: %w", fr.Path, err)
	}
	s.log.Warn("repair: kept every entry that verifies", "path", fr.Path, "backup", backup,
		"kept", sv.kept, "lost_ranges", len(sv.lost), "error", now.Err)
	return nil
}

// salvage reads the damaged file of run that Verify reported as now and
// returns its bytes and what Repair makes of it.
func (s *Store) salvage(k fileKind, run string, now FileReport) ([]byte, salvaged, error) {
	data, err := readAll(s.fs, now.Path, now.Size)
	if err != nil {
		return nil, salvaged{}, err
	}
	sv, err := salvageFile(k, data, func(p pendingMark) (byte, error) { return s.pendingOutcome(run, p) })
	if err != nil {
		return nil, salvaged{}, fmt.Errorf("filestore: repair %s: nothing changed: %w", now.Path, err)
	}
	if now.Err == nil { // a torn tail only: keep the records as they are
		sv.file = data[:now.ValidBytes]
		if k == kindValidation && now.Records == 0 {
			sv.file = nil
		}
	}
	return data, sv, nil
}

// PlanRepair says what Repair would do to the store in dir, changing
// nothing and taking no locks: the report is Verify's, and each file with
// a torn tail or corruption also says what Repair would keep (Kept, Lost,
// Notes, Removed) as the file is now. Backup stays empty.
func PlanRepair(ctx context.Context, dir string) (*Report, error) {
	rep, err := Verify(ctx, dir)
	if err != nil {
		return nil, err
	}
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Close() }() // read-only
	for i, fr := range rep.Files {
		if (fr.Err == nil && !fr.TornTail) || fr.NotRegular || fr.Foreign {
			continue
		}
		_, sv, err := s.salvage(fileKindOf(fr.Path), filepath.Base(fr.Path), fr)
		if err != nil {
			return nil, err
		}
		f := &rep.Files[i]
		f.Kept, f.Lost, f.Notes, f.Removed = sv.kept, sv.lost, sv.notes, sv.file == nil
	}
	return rep, nil
}

// fileKindOf returns the kind of the data file at path, by its directory.
func fileKindOf(path string) fileKind {
	if filepath.Base(filepath.Dir(path)) == kindValidation.dirName() {
		return kindValidation
	}
	return kindTraining
}

// readAll reads the first size bytes of path.
func readAll(fsys fsutil.FS, path string, size int64) (_ []byte, err error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, pathError("repair", path, err)
	}
	defer closeFile(f, &err)
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, pathError("repair", path, err)
	}
	return data, nil
}
