package filestore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// The trash (statstore.Trasher), under DIR/.trash:
//
//	DIR/.trash/<id>/manifest            the entry: run, deletion time, counts
//	DIR/.trash/<id>/training_stats      the run's training file, if it had one
//	DIR/.trash/<id>/validation_scores   the run's validation file, if it had one
//	DIR/.trash/<id>/run_meta            the run's metadata file, if it had one
//	DIR/.trash/.moving/<run>/           a move between the trash and live run
//	                                    <run> in progress, or cut by a crash
//	DIR/.trash/.purging/<id>/           an entry being purged
//
// Trashing run r, under r's lock: make .moving/r with the manifest, rename
// r's metadata, validation and training files into it, then rename .moving/r to
// <id>, the step that commits. Restoring entry id as r, under r's lock:
// rename <id> to .moving/r (the commit), then rename the files out to the
// live directories and remove .moving/r. Whatever a crash interrupts,
// .moving/r is finished the same way, by moving its files to live run r:
// a trash cut before its commit is undone, a restore cut after its commit
// is completed. The next writer of r does it under r's lock, before it
// writes (lockRun), and so does a writable Open for every run: the run is
// then either live or in the trash, never both or neither. Until then,
// readers see the part of r that is still live, and ListRuns warns of it.
//
// A purge renames <id> to .purging/<id> (so that a restore racing it
// either wins or finds nothing) and removes it; leftovers of a killed
// purge are removed by the next purge or writable Open. Verify and Repair
// look only at the live directories: a trashed run is not damage, and
// VerifyTrash checks the trashed files.
const (
	trashDir     = ".trash"
	movingDir    = ".moving"
	purgingDir   = ".purging"
	manifestName = "manifest"
)

// manifestVersion is the version of the manifest document.
const manifestVersion = 1

// maxManifestSize bounds the manifest read: a run name is at most 200
// bytes, so a real manifest takes well under 1 KiB.
const maxManifestSize = 64 << 10

var _ statstore.Trasher = (*Store)(nil)

// manifest is the JSON document of DIR/.trash/<id>/manifest.
type manifest struct {
	Version int `json:"version"`
	statstore.TrashEntry
}

// encodeManifest returns e's manifest document.
func encodeManifest(e statstore.TrashEntry) ([]byte, error) {
	data, err := json.Marshal(manifest{Version: manifestVersion, TrashEntry: e})
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// decodeManifest decodes and checks a manifest document: one JSON object
// of this version whose entry is valid, and nothing else.
func decodeManifest(data []byte) (statstore.TrashEntry, error) {
	if len(data) > maxManifestSize {
		return statstore.TrashEntry{}, fmt.Errorf("manifest of %d bytes is over the limit of %d", len(data), maxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m manifest
	if err := dec.Decode(&m); err != nil {
		return statstore.TrashEntry{}, fmt.Errorf("manifest is not a JSON trash entry: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return statstore.TrashEntry{}, errors.New("manifest has data after its JSON object")
	}
	if m.Version != manifestVersion {
		return statstore.TrashEntry{}, fmt.Errorf("manifest version %d, want %d", m.Version, manifestVersion)
	}
	if err := m.TrashEntry.Validate(); err != nil {
		return statstore.TrashEntry{}, fmt.Errorf("manifest: %w", err)
	}
	return m.TrashEntry, nil
}

// trashPath returns the path of name under DIR/.trash.
func (s *Store) trashPath(name ...string) string {
	return filepath.Join(append([]string{s.dir, trashDir}, name...)...)
}

// readManifest reads the manifest in the entry directory dir.
func (s *Store) readManifest(dir string) (statstore.TrashEntry, error) {
	return readManifest(s.fs, dir)
}

// readManifest reads the manifest in the entry directory dir of fsys.
func readManifest(fsys fsutil.FS, dir string) (_ statstore.TrashEntry, err error) {
	path := filepath.Join(dir, manifestName)
	f, err := fsys.OpenFile(path, os.O_RDONLY|fsutil.NonBlock, 0)
	if err != nil {
		return statstore.TrashEntry{}, pathError("read trash manifest", path, err)
	}
	defer closeFile(f, &err)
	data, err := io.ReadAll(io.NewSectionReader(f, 0, maxManifestSize+1))
	if err != nil {
		return statstore.TrashEntry{}, pathError("read trash manifest", path, err)
	}
	e, err := decodeManifest(data)
	if err != nil {
		return statstore.TrashEntry{}, corrupt(path, 0, err)
	}
	return e, nil
}

// syncDirs fsyncs the directories, unless the store does not sync.
func (s *Store) syncDirs(dirs ...string) error {
	if s.opts.NoSync {
		return nil
	}
	for _, d := range dirs {
		if err := s.fs.SyncDir(d); err != nil {
			return pathError("fsync directory", d, err)
		}
	}
	return nil
}

// exists reports whether path exists.
func (s *Store) exists(path string) (bool, error) {
	_, err := s.fs.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, pathError("stat", path, err)
	}
	return true, nil
}

// live reports whether run has a live training, validation or metadata
// file.
func (s *Store) live(run string) (bool, error) {
	for _, path := range []string{s.path(kindTraining, run), s.path(kindValidation, run), s.metaPath(run)} {
		ok, err := s.exists(path)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// TrashRun moves the run's files into DIR/.trash/<id> in one step as
// readers after a crash see it (see the layout above). A run with no file
// wraps statstore.ErrNotFound. The entry counts what the run holds, -1
// for a file that cannot be read (a damaged run can be trashed too).
func (s *Store) TrashRun(ctx context.Context, run string) (statstore.TrashEntry, error) {
	if err := s.checkWrite(ctx, run); err != nil {
		return statstore.TrashEntry{}, err
	}
	unlock, err := s.lockRun(ctx, run) // finishes a move of run a crash cut
	if err != nil {
		return statstore.TrashEntry{}, err
	}
	defer unlock()
	e, err := s.trashEntry(ctx, run)
	if err != nil {
		return statstore.TrashEntry{}, err
	}
	data, err := encodeManifest(e)
	if err != nil {
		return statstore.TrashEntry{}, fmt.Errorf("filestore: trash run %q: %w", run, err)
	}
	moving := s.trashPath(movingDir, run)
	// .trash and .moving are made once: DIR and .trash need an fsync only then.
	dirs := []string{s.trashPath(movingDir)}
	if made, err := s.exists(dirs[0]); err != nil || !made {
		dirs = append(dirs, s.trashPath(), s.dir)
	}
	if err := s.fs.MkdirAll(moving, dirPerm); err != nil {
		return statstore.TrashEntry{}, pathError("trash run", moving, err)
	}
	if err := s.syncDirs(dirs...); err != nil {
		return statstore.TrashEntry{}, err
	}
	if err := fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), filepath.Join(moving, manifestName), data, filePerm, s.opts.NoSync); err != nil {
		return statstore.TrashEntry{}, pathError("trash run", moving, err)
	}
	if err := s.fs.Rename(s.metaPath(run), filepath.Join(moving, metaDir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return statstore.TrashEntry{}, s.undoMove(run, pathError("trash run", s.metaPath(run), err))
	}
	// Validation first: while the training file is still live, a reader
	// of a pending supersede record sees the pair it was written with.
	for _, k := range []fileKind{kindValidation, kindTraining} {
		if k == kindTraining {
			s.cacheTrain(run, nil)
		} else {
			s.cacheVal(run, nil)
		}
		err := s.fs.Rename(s.path(k, run), filepath.Join(moving, k.dirName()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return statstore.TrashEntry{}, s.undoMove(run, pathError("trash run", s.path(k, run), err))
		}
	}
	synced := []string{moving, filepath.Join(s.dir, kindTraining.dirName()), filepath.Join(s.dir, kindValidation.dirName())}
	if ok, err := s.exists(filepath.Join(s.dir, metaDir)); err != nil || ok {
		synced = append(synced, filepath.Join(s.dir, metaDir))
	}
	if err := s.syncDirs(synced...); err != nil {
		return statstore.TrashEntry{}, s.undoMove(run, err)
	}
	if err := s.fs.Rename(moving, s.trashPath(e.ID)); err != nil {
		return statstore.TrashEntry{}, s.undoMove(run, pathError("trash run", moving, err))
	}
	if err := s.syncDirs(s.trashPath(movingDir), s.trashPath()); err != nil {
		return statstore.TrashEntry{}, err
	}
	s.dropBuckets(run) // a restore rebuilds it when asked
	s.log.Info("trashed run", "run", run, "trash_id", e.ID, "restore", "statstore trash restore "+e.ID)
	return e, s.removeLock(run)
}

// undoMove puts back what a failed trash of run moved and returns cause
// (with the failure to undo, if any).
func (s *Store) undoMove(run string, cause error) error {
	if err := s.finishMove(run); err != nil {
		return fmt.Errorf("%w (and putting the run's files back failed: %v; the next writer of the run retries)", cause, err)
	}
	return cause
}

// trashEntry describes run as TrashRun will keep it; ErrNotFound when the
// run has no file.
func (s *Store) trashEntry(ctx context.Context, run string) (statstore.TrashEntry, error) {
	now := s.opts.now()
	id, err := statstore.NewTrashID(now)
	if err != nil {
		return statstore.TrashEntry{}, fmt.Errorf("filestore: trash run %q: %w", run, err)
	}
	e := statstore.TrashEntry{ID: id, Run: run, DeletedAt: now}
	found := false
	for _, path := range []string{s.path(kindTraining, run), s.path(kindValidation, run), s.metaPath(run)} {
		fi, err := s.fs.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return e, pathError("trash run", path, err)
		}
		found = true
		e.Bytes += fi.Size()
	}
	if !found {
		return e, fmt.Errorf("filestore: trash run %q: no such run: %w", run, statstore.ErrNotFound)
	}
	var info statstore.RunInfo
	if err := s.trainInfo(run, &info); err != nil {
		s.log.Warn("trashing a run whose training file cannot be read", "run", run, "err", err)
		info.TrainingIterations = -1
	}
	e.TrainingIterations = info.TrainingIterations
	v, err := s.readVal(ctx, run)
	switch {
	case err != nil:
		s.log.Warn("trashing a run whose validation file cannot be read", "run", run, "err", err)
		e.ValidationIterations = -1
	case v != nil:
		e.ValidationIterations = len(v.entries)
	}
	return e, nil
}

// finishMove ends a move of live run run that DIR/.trash/.moving/<run>
// holds, if any: its files go to the live directories and the directory
// goes. The caller holds run's lock. A live file standing where a moved
// one must go is a *statstore.CorruptError, and both are left as they are.
func (s *Store) finishMove(run string) error {
	moving := s.trashPath(movingDir, run)
	ok, err := s.exists(moving)
	if err != nil || !ok {
		return err
	}
	moved := false
	for _, k := range []fileKind{kindTraining, kindValidation} {
		from := filepath.Join(moving, k.dirName())
		there, err := s.exists(from)
		if err != nil {
			return err
		}
		if !there {
			continue
		}
		taken, err := s.exists(s.path(k, run))
		if err != nil {
			return err
		}
		if taken {
			return &statstore.CorruptError{Path: from, Offset: -1,
				Reason: fmt.Sprintf("a moved %s file of run %q is both in the trash's moves and live at %s: move one away", k, run, s.path(k, run))}
		}
		if k == kindTraining {
			s.cacheTrain(run, nil)
		} else {
			s.cacheVal(run, nil)
		}
		if err := s.fs.Rename(from, s.path(k, run)); err != nil {
			return pathError("move back", from, err)
		}
		moved = true
	}
	metaMoved, err := s.moveMetaBack(run, moving)
	if err != nil {
		return err
	}
	moved = moved || metaMoved
	if err := s.syncDirs(filepath.Join(s.dir, kindTraining.dirName()), filepath.Join(s.dir, kindValidation.dirName())); err != nil {
		return err
	}
	if err := s.removeEntryDir(moving); err != nil {
		return err
	}
	if moved {
		s.log.Info("moved a run's files out of the trash's moves", "run", run, "dir", moving)
	}
	return nil
}

// moveMetaBack moves the metadata file of a move of run (in the directory
// moving) to the live metadata directory, as finishMove does the data
// files, and fsyncs that directory.
func (s *Store) moveMetaBack(run, moving string) (bool, error) {
	from := filepath.Join(moving, metaDir)
	there, err := s.exists(from)
	if err != nil || !there {
		return false, err
	}
	taken, err := s.exists(s.metaPath(run))
	if err != nil {
		return false, err
	}
	if taken {
		return false, &statstore.CorruptError{Path: from, Offset: -1,
			Reason: fmt.Sprintf("a moved metadata file of run %q is both in the trash's moves and live at %s: move one away", run, s.metaPath(run))}
	}
	if err := s.makeMetaDir(); err != nil {
		return false, err
	}
	if err := s.fs.Rename(from, s.metaPath(run)); err != nil {
		return false, pathError("move back", from, err)
	}
	return true, s.syncDirs(filepath.Join(s.dir, metaDir))
}

// removeEntryDir removes an entry directory and what it holds (the
// manifest and the two data files, or anything else a user put there).
func (s *Store) removeEntryDir(dir string) error {
	entries, err := s.fs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return pathError("remove", dir, err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if err := s.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return pathError("remove", p, err)
		}
	}
	if err := s.fs.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pathError("remove", dir, err)
	}
	return s.syncDirs(filepath.Dir(dir))
}

// ListTrash returns the trash entries, oldest first. A damaged manifest is
// a *statstore.CorruptError naming it.
func (s *Store) ListTrash(ctx context.Context) ([]statstore.TrashEntry, error) {
	if err := s.checkOpen(ctx); err != nil {
		return nil, err
	}
	entries, err := s.fs.ReadDir(s.trashPath())
	if errors.Is(err, fs.ErrNotExist) {
		return []statstore.TrashEntry{}, nil
	}
	if err != nil {
		return nil, pathError("list trash", s.trashPath(), err)
	}
	out := make([]statstore.TrashEntry, 0, len(entries))
	for _, d := range entries {
		if statstore.ValidateTrashID(d.Name()) != nil {
			continue // .moving, .purging
		}
		e, err := s.readManifest(s.trashPath(d.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // restored or purged since the listing
		}
		if err != nil {
			return nil, err
		}
		if e.ID != d.Name() {
			return nil, &statstore.CorruptError{Path: s.trashPath(d.Name(), manifestName), Offset: 0,
				Reason: fmt.Sprintf("manifest names trash id %q, not its directory's", e.ID)}
		}
		out = append(out, e)
	}
	statstore.SortTrash(out)
	return out, nil
}

// RestoreRun moves the files of trash entry id back to the live
// directories under the entry's run name, or as. A live run of that name
// wraps statstore.ErrRunExists; an unknown id statstore.ErrNotFound.
func (s *Store) RestoreRun(ctx context.Context, id, as string) (string, error) {
	if err := s.checkOpen(ctx); err != nil {
		return "", err
	}
	if err := statstore.ValidateTrashID(id); err != nil {
		return "", fmt.Errorf("filestore: restore: %w", err)
	}
	entry := s.trashPath(id)
	e, err := s.readManifest(entry)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("filestore: restore trash entry %q: no such entry: %w", id, statstore.ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	run := e.Run
	if as != "" {
		run = as
	}
	if err := s.checkWrite(ctx, run); err != nil {
		return "", err
	}
	unlock, err := s.lockRun(ctx, run)
	if err != nil {
		return "", err
	}
	defer unlock()
	if taken, err := s.live(run); err != nil || taken {
		if err == nil {
			err = fmt.Errorf("filestore: restore trash entry %q as run %q: a live run has that name (restore it under another name): %w", id, run, statstore.ErrRunExists)
		}
		return "", err
	}
	if err := s.fs.MkdirAll(s.trashPath(movingDir), dirPerm); err != nil {
		return "", pathError("restore", s.trashPath(movingDir), err)
	}
	if err := s.fs.Rename(entry, s.trashPath(movingDir, run)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("filestore: restore trash entry %q: restored or purged meanwhile: %w", id, statstore.ErrNotFound)
		}
		return "", pathError("restore", entry, err)
	}
	if err := s.syncDirs(s.trashPath(), s.trashPath(movingDir)); err != nil {
		return "", err
	}
	if err := s.finishMove(run); err != nil {
		return "", fmt.Errorf("filestore: restore trash entry %q (the next writer of run %q finishes it): %w", id, run, err)
	}
	s.log.Info("restored run", "run", run, "trash_id", id)
	return run, nil
}

// PurgeTrash removes the selected trash entries for good and returns them.
func (s *Store) PurgeTrash(ctx context.Context, sel statstore.PurgeSelection) ([]statstore.TrashEntry, error) {
	if err := s.checkOpen(ctx); err != nil {
		return nil, err
	}
	if s.opts.ReadOnly {
		return nil, fmt.Errorf("filestore: %s was opened read-only: %w", s.dir, statstore.ErrReadOnly)
	}
	all, err := s.ListTrash(ctx)
	if err != nil {
		return nil, err
	}
	chosen, err := statstore.SelectTrash(all, sel)
	if err != nil {
		return nil, fmt.Errorf("filestore: purge trash: %w", err)
	}
	if err := s.fs.MkdirAll(s.trashPath(purgingDir), dirPerm); err != nil {
		return nil, pathError("purge trash", s.trashPath(purgingDir), err)
	}
	out := make([]statstore.TrashEntry, 0, len(chosen))
	for _, e := range chosen {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("filestore: purge trash: %w", err)
		}
		err := s.fs.Rename(s.trashPath(e.ID), s.trashPath(purgingDir, e.ID))
		if errors.Is(err, fs.ErrNotExist) {
			continue // restored meanwhile
		}
		if err != nil {
			return out, pathError("purge trash", s.trashPath(e.ID), err)
		}
		if err := s.syncDirs(s.trashPath()); err != nil {
			return out, err
		}
		out = append(out, e)
		s.log.Info("purged trash entry", "run", e.Run, "trash_id", e.ID)
	}
	return out, s.removePurging()
}

// removePurging removes what purges left in DIR/.trash/.purging.
func (s *Store) removePurging() error {
	entries, err := s.fs.ReadDir(s.trashPath(purgingDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return pathError("purge trash", s.trashPath(purgingDir), err)
	}
	for _, d := range entries {
		if err := s.removeEntryDir(s.trashPath(purgingDir, d.Name())); err != nil {
			return err
		}
	}
	return nil
}

// recoverTrash finishes, at a writable Open, the trash moves and purges a
// crash cut: each move under its run's lock. Failures are logged: the
// next writer of the run retries.
func (s *Store) recoverTrash() {
	entries, err := s.fs.ReadDir(s.trashPath(movingDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("cannot list the trash's moves", "dir", s.trashPath(movingDir), "err", err)
	}
	for _, d := range entries {
		if statstore.ValidateRunName(d.Name()) != nil {
			continue
		}
		unlock, err := s.lockRun(context.Background(), d.Name()) // finishes the move
		if err != nil {
			s.log.Warn("cannot finish a move of a run to or from the trash", "run", d.Name(), "err", err)
			continue
		}
		unlock()
	}
	if err := s.removePurging(); err != nil {
		s.log.Warn("cannot remove what an interrupted purge left", "err", err)
	}
}

// warnUnfinishedMoves warns of the moves to or from the trash that a
// crash cut and no writer has finished yet: until then readers see only
// the part of the run that is live (a read-only Store cannot finish them).
func (s *Store) warnUnfinishedMoves() {
	entries, err := s.fs.ReadDir(s.trashPath(movingDir))
	if err != nil {
		return // none (or none to see): nothing to warn of
	}
	for _, d := range entries {
		if s.opts.ReadOnly || !s.writerActive(d.Name()) {
			s.log.Warn("a move of this run to or from the trash was interrupted: until a writable open or the run's next write finishes it, reads see part of the run",
				"run", d.Name(), "dir", s.trashPath(movingDir, d.Name()))
		}
	}
}

// VerifyTrash checks the files of every trash entry as Verify checks the
// live ones, so a trashed run's data stay verifiable; a damaged manifest
// is reported as a damaged file. It changes nothing and takes no locks.
func VerifyTrash(ctx context.Context, dir string) (*Report, error) {
	return verifyTrash(ctx, fsutil.OS{}, dir)
}

func verifyTrash(ctx context.Context, fsys fsutil.FS, dir string) (*Report, error) {
	rep := &Report{}
	root := filepath.Join(dir, trashDir)
	entries, err := fsys.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return nil, pathError("verify trash", root, err)
	}
	for _, d := range entries {
		if err := ctx.Err(); err != nil {
			return nil, pathError("verify trash", root, err)
		}
		if statstore.ValidateTrashID(d.Name()) != nil {
			continue
		}
		if _, err := readManifest(fsys, filepath.Join(root, d.Name())); err != nil {
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			rep.Files = append(rep.Files, FileReport{Path: filepath.Join(root, d.Name(), manifestName), Err: err})
		}
		for _, k := range []fileKind{kindTraining, kindValidation} {
			fr, err := verifyFile(fsys, filepath.Join(root, d.Name(), k.dirName()), k)
			if err != nil {
				return nil, err
			}
			if fr.Path != "" {
				rep.Files = append(rep.Files, fr)
			}
		}
		fr, ok, err := verifyMetaFile(fsys, filepath.Join(root, d.Name(), metaDir))
		if err != nil {
			return nil, err
		}
		if ok {
			rep.Files = append(rep.Files, fr)
		}
	}
	return rep, nil
}
