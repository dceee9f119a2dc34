package fsutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteAtomic replaces path with a file holding data, so that after a crash
// path holds either its old contents or data, never a mix: it writes data
// to a new file in tmpDir (which must be on the same file system), fsyncs
// it, renames it over path and fsyncs path's directory. With noSync the
// fsyncs are skipped (the rename still makes the replacement atomic for
// readers, but not durable across an operating-system crash).
func WriteAtomic(fsys FS, tmpDir, path string, data []byte, perm os.FileMode, noSync bool) (err error) {
	tmp, err := TempName(tmpDir, filepath.Base(path))
	if err != nil {
		return err
	}
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = fsys.Remove(tmp) // best effort: the error that matters is err
		}
	}()
	if _, err = f.WriteAt(data, 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if !noSync {
		if err = f.Sync(); err != nil {
			_ = f.Close()
			return fmt.Errorf("fsync %s: %w", tmp, err)
		}
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = fsys.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
	}
	if noSync {
		return nil
	}
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("fsync directory of %s: %w", path, err)
	}
	return nil
}

// TempName returns a fresh, random file name in dir for a temporary copy
// of the file named base (only a short prefix of base is kept, so the name
// stays within file-name limits).
func TempName(dir, base string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random temporary file name: %w", err)
	}
	prefix := base
	if len(prefix) > 32 {
		prefix = prefix[:32]
	}
	return filepath.Join(dir, fmt.Sprintf("%s.%s.tmp", sanitize(prefix), hex.EncodeToString(b[:]))), nil
}

func sanitize(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c < 0x20 || c >= 0x7f || c == '/' || c == '\\' {
			out[i] = '_'
		}
	}
	return string(out)
}

// RemoveDurably removes path and fsyncs its directory; a path that does not
// exist is not an error.
func RemoveDurably(fsys FS, path string, noSync bool) error {
	if err := fsys.Remove(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if noSync {
		return nil
	}
	return fsys.SyncDir(filepath.Dir(path))
}
