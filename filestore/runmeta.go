package filestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// Run metadata (statstore.RunMetaStore) live in one small file per run,
// DIR/run_meta/<run>, replaced whole by every change (fsutil.WriteAtomic:
// temporary file, fsync, rename, directory fsync) under the run's lock, so
// that a reader sees the old or the new metadata and a crash leaves one of
// them. The byte layout (docs/format.md, "Run metadata"):
//
//	0   8 bytes  magic "STATMETA"
//	8   2 bytes  version, little-endian (1)
//	10  2 bytes  zero
//	12  4 bytes  payload length n, little-endian
//	16  4 bytes  CRC-32C (Castagnoli) of the payload
//	20  n bytes  payload: the JSON object {"config": {...}, "tags": {...}}
//
// and nothing after it. Damage is a *statstore.CorruptError naming the
// file and the offset of the field that fails: 0 (magic), 8 (version),
// 12 (length) or 20 (payload).
const (
	metaDir        = "run_meta"
	metaMagic      = "STATMETA"
	metaVersion    = 1
	metaHeaderSize = 20
	// maxMetaPayload bounds a metadata payload: the largest configuration
	// and MaxTags tags of the largest size, JSON-escaped at worst, fit.
	maxMetaPayload = 4 << 20
)

var _ statstore.RunMetaStore = (*Store)(nil)

var castagnoliTable = crc32.MakeTable(crc32.Castagnoli)

// metaDoc is the payload of a metadata file.
type metaDoc struct {
	Config json.RawMessage   `json:"config,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
}

// encodeRunMeta returns the metadata file holding m (whose configuration
// is in CompactRunConfig's form).
func encodeRunMeta(m statstore.RunMeta) ([]byte, error) {
	payload, err := json.Marshal(metaDoc{Config: m.Config, Tags: m.Tags})
	if err != nil {
		return nil, err
	}
	buf := make([]byte, metaHeaderSize, metaHeaderSize+len(payload))
	copy(buf, metaMagic)
	binary.LittleEndian.PutUint16(buf[8:], metaVersion)
	binary.LittleEndian.PutUint32(buf[12:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[16:], crc32c(payload))
	return append(buf, payload...), nil
}

// decodeRunMeta decodes and checks a metadata file's bytes; damage is a
// *statstore.CorruptError naming path and the offset of what fails.
func decodeRunMeta(path string, data []byte) (statstore.RunMeta, error) {
	bad := func(off int64, format string, args ...any) (statstore.RunMeta, error) {
		return statstore.RunMeta{}, &statstore.CorruptError{Path: path, Offset: off, Reason: "run metadata: " + fmt.Sprintf(format, args...)}
	}
	if len(data) < metaHeaderSize {
		return bad(0, "file of %d bytes is shorter than the %d-byte header", len(data), metaHeaderSize)
	}
	if string(data[:8]) != metaMagic {
		return bad(0, "magic %q, want %q (not a statstore metadata file)", data[:8], metaMagic)
	}
	if v := binary.LittleEndian.Uint16(data[8:]); v != metaVersion || data[10] != 0 || data[11] != 0 {
		return bad(8, "version %d (reserved bytes %x), want version %d: written by a newer statstore?", v, data[10:12], metaVersion)
	}
	n := binary.LittleEndian.Uint32(data[12:])
	if n > maxMetaPayload || int64(n) != int64(len(data)-metaHeaderSize) {
		return bad(12, "payload length %d, but the file holds %d bytes after the header", n, len(data)-metaHeaderSize)
	}
	payload := data[metaHeaderSize:]
	if got, want := crc32c(payload), binary.LittleEndian.Uint32(data[16:]); got != want {
		return bad(metaHeaderSize, "checksum %08x, want %08x", got, want)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var doc metaDoc
	if err := dec.Decode(&doc); err != nil {
		return bad(metaHeaderSize, "payload is not a metadata document: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad(metaHeaderSize, "payload has data after its JSON object")
	}
	m := statstore.RunMeta{Config: doc.Config, Tags: doc.Tags}
	if err := m.Validate(); err != nil {
		return bad(metaHeaderSize, "%v", err)
	}
	if len(m.Tags) == 0 {
		m.Tags = nil
	}
	return m, nil
}

// metaPath returns the metadata file of run.
func (s *Store) metaPath(run string) string { return filepath.Join(s.dir, metaDir, run) }

// readRunMeta reads the metadata file at path of fsys: the zero RunMeta
// when there is none.
func readRunMeta(fsys fsutil.FS, path string) (_ statstore.RunMeta, err error) {
	f, err := openData(fsys, path, false)
	if err != nil || f == nil {
		return statstore.RunMeta{}, err
	}
	defer closeFile(f, &err)
	data, err := io.ReadAll(io.NewSectionReader(f, 0, metaHeaderSize+maxMetaPayload+1))
	if err != nil {
		return statstore.RunMeta{}, pathError("read run metadata", path, err)
	}
	return decodeRunMeta(path, data)
}

// RetrieveRunMeta returns the run's configuration and tags; the zero
// RunMeta for a run without a metadata file.
func (s *Store) RetrieveRunMeta(ctx context.Context, run string) (statstore.RunMeta, error) {
	if err := s.check(ctx, run); err != nil {
		return statstore.RunMeta{}, err
	}
	return readRunMeta(s.fs, s.metaPath(run))
}

// SetRunConfig replaces the run's configuration (nil removes it), in
// statstore.CompactRunConfig's form.
func (s *Store) SetRunConfig(ctx context.Context, run string, config json.RawMessage) error {
	var compact json.RawMessage
	if config != nil {
		c, err := statstore.CompactRunConfig(config)
		if err != nil {
			return fmt.Errorf("filestore: set configuration of run %q: %w", run, err)
		}
		compact = c
	}
	return s.updateRunMeta(ctx, run, func(m *statstore.RunMeta) error {
		m.Config = compact
		return nil
	})
}

// SetRunTags sets and removes the run's tags in one step
// (statstore.ApplyTags).
func (s *Store) SetRunTags(ctx context.Context, run string, set map[string]string, remove []string) error {
	if _, err := statstore.ApplyTags(nil, set, remove); err != nil {
		return fmt.Errorf("filestore: set tags of run %q: %w", run, err)
	}
	return s.updateRunMeta(ctx, run, func(m *statstore.RunMeta) error {
		tags, err := statstore.ApplyTags(m.Tags, set, remove)
		if err != nil {
			return fmt.Errorf("filestore: set tags of run %q: %w", run, err)
		}
		m.Tags = tags
		return nil
	})
}

// updateRunMeta reads the run's metadata under its lock, applies change
// and writes the result atomically (removing the file when nothing is
// left). A damaged metadata file is not overwritten: the error names it.
func (s *Store) updateRunMeta(ctx context.Context, run string, change func(*statstore.RunMeta) error) error {
	if err := s.checkWrite(ctx, run); err != nil {
		return err
	}
	unlock, err := s.lockRun(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	path := s.metaPath(run)
	m, err := readRunMeta(s.fs, path)
	if err != nil {
		return fmt.Errorf("filestore: not changing the metadata of run %q (repair moves a damaged file away): %w", run, err)
	}
	if err := change(&m); err != nil {
		return err
	}
	if m.IsZero() {
		if err := fsutil.RemoveDurably(s.fs, path, s.opts.NoSync); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("filestore: remove the metadata of run %q: %w", run, err)
		}
		s.log.Info("run metadata removed", "run", run)
		return s.removeLock(run)
	}
	data, err := encodeRunMeta(m)
	if err != nil {
		return fmt.Errorf("filestore: encode the metadata of run %q: %w", run, err)
	}
	if err := s.makeMetaDir(); err != nil {
		return err
	}
	if err := fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), path, data, filePerm, s.opts.NoSync); err != nil {
		return pathError("write run metadata", path, err)
	}
	s.log.Info("run metadata set", "run", run, "config_bytes", len(m.Config), "tags", len(m.Tags))
	return nil
}

// makeMetaDir makes DIR/run_meta when it is missing (stores made before
// run metadata have none), with a durable directory entry.
func (s *Store) makeMetaDir() error {
	dir := filepath.Join(s.dir, metaDir)
	if ok, err := s.exists(dir); err != nil || ok {
		return err
	}
	if err := s.fs.MkdirAll(dir, dirPerm); err != nil {
		return pathError("make directory", dir, err)
	}
	return s.syncDirs(s.dir)
}

// verifyMetaFiles checks every live metadata file under dir (Verify).
func verifyMetaFiles(ctx context.Context, fsys fsutil.FS, dir string) ([]FileReport, error) {
	entries, err := fsys.ReadDir(filepath.Join(dir, metaDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, pathError("verify", dir, err)
	}
	var out []FileReport
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, pathError("verify", dir, err)
		}
		if fr, ok, err := verifyMetaFile(fsys, filepath.Join(dir, metaDir, e.Name())); err != nil {
			return nil, err
		} else if ok {
			out = append(out, fr)
		}
	}
	return out, nil
}

// verifyMetaFile checks one metadata file; ok is false when it is gone.
func verifyMetaFile(fsys fsutil.FS, path string) (fr FileReport, ok bool, err error) {
	fr.Path = path
	if fi, err := fsys.Stat(path); err == nil {
		fr.Size = fi.Size()
	} else if errors.Is(err, fs.ErrNotExist) {
		return fr, false, nil
	}
	_, err = readRunMeta(fsys, path)
	var ce *statstore.CorruptError
	switch {
	case errors.As(err, &ce):
		fr.Err = err
		fr.NotRegular = !isRegular(fsys, path)
		return fr, true, nil
	case err != nil:
		return fr, false, err
	}
	fr.ValidBytes, fr.Records = fr.Size, 1
	return fr, true, nil
}

// isRegular reports whether path is a regular file (following links).
func isRegular(fsys fsutil.FS, path string) bool {
	fi, err := fsys.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// isMetaPath reports whether path is a live metadata file of the store in
// dir.
func isMetaPath(dir, path string) bool {
	return filepath.Dir(path) == filepath.Join(dir, metaDir)
}

// repairMetaFile backs up a damaged metadata file and removes it: nothing
// of a file whose checksum fails can be trusted. The caller holds no lock.
func (s *Store) repairMetaFile(ctx context.Context, run string, fr *FileReport) error {
	unlock, err := s.lockRun(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	path := s.metaPath(run)
	now, ok, err := verifyMetaFile(s.fs, path)
	if err != nil || !ok || now.Err == nil {
		return err // gone or rewritten meanwhile
	}
	backup, err := s.backupMeta(run, path)
	if err != nil {
		return fmt.Errorf("filestore: repair %s: nothing changed: %w", path, err)
	}
	if err := fsutil.RemoveDurably(s.fs, path, s.opts.NoSync); err != nil {
		return fmt.Errorf("filestore: repair %s: %w", path, err)
	}
	fr.Backup, fr.Removed, fr.Kept = backup, true, 0
	fr.Lost = []LostRange{{Offset: 0, End: now.Size, After: -1, Before: -1, Entries: -1, Reason: now.Err.Error()}}
	s.log.Warn("repair: removed a damaged run metadata file after a backup", "run", run, "path", path, "backup", backup)
	return s.removeLock(run)
}

// backupMeta durably copies the metadata file at path to
// DIR/.backup/run_meta/<run>.<unix-nanos>.damaged and returns the copy's
// path.
func (s *Store) backupMeta(run, path string) (_ string, err error) {
	f, err := s.fs.OpenFile(path, os.O_RDONLY|fsutil.NonBlock, 0)
	if err != nil {
		return "", pathError("back up run metadata", path, err)
	}
	defer closeFile(f, &err)
	data, err := io.ReadAll(io.NewSectionReader(f, 0, metaHeaderSize+maxMetaPayload+1))
	if err != nil {
		return "", pathError("back up run metadata", path, err)
	}
	dir := filepath.Join(s.dir, backupDir, metaDir)
	if err := s.fs.MkdirAll(dir, dirPerm); err != nil {
		return "", pathError("back up run metadata", dir, err)
	}
	to := filepath.Join(dir, run+"."+strconv.FormatInt(s.opts.now().UnixNano(), 10)+".damaged")
	if err := fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), to, data, filePerm, s.opts.NoSync); err != nil {
		return "", pathError("back up run metadata", to, err)
	}
	return to, nil
}

// crc32c returns the CRC-32C of b.
func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoliTable) }
