package dacapo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/statstore/statstore/internal/fsutil"
)

// nativeMagic starts every file of statstore's own file store (see
// docs/format.md). It is repeated here because package dacapo does not
// import the file store.
const nativeMagic = "STATSTOR"

// DirKind is what a directory holds, as Detect tells it from its files.
type DirKind int

// The kinds of directory Detect tells apart.
const (
	// DirNone: neither a pickle nor a statstore file (no such directory, no
	// training_stats/ or validation_scores/, no files there, or only files
	// that are neither, such as empty or damaged ones).
	DirNone DirKind = iota
	// DirDaCapo: pickles and no statstore file: a directory DaCapo wrote.
	DirDaCapo
	// DirNative: statstore files and no pickle: statstore's file store.
	DirNative
	// DirMixed: both pickles and statstore files.
	DirMixed
)

// String names the kind for messages.
func (k DirKind) String() string {
	switch k {
	case DirDaCapo:
		return "DaCapo stats directory"
	case DirNative:
		return "statstore file store"
	case DirMixed:
		return "mix of DaCapo pickles and statstore files"
	}
	return "neither a DaCapo nor a statstore directory"
}

// Detection is what Detect found in a directory's training_stats/ and
// validation_scores/ sub-directories.
type Detection struct {
	// Kind is what the directory holds.
	Kind DirKind
	// Pickle and Native are the path of one pickle and of one statstore
	// file found ("" when none), to name in messages.
	Pickle, Native string
}

// Detect tells a DaCapo stats directory from statstore's file store by
// looking at each file of dir/training_stats and dir/validation_scores: a
// file starting with the PROTO opcode (protocols 2 to 5) or as a protocol
// 0 or 1 list pickle does ("(l" or "]"), is a pickle; a file starting
// with statstore's magic "STATSTOR" is a statstore file; any other file
// (empty, as DaCapo leaves one when killed mid-dump, damaged, or foreign)
// and anything not a regular file counts for neither, so that one bad file
// never changes what the directory is. Files whose names start with "." are
// skipped. Detect reads at most 8 bytes of each file and never blocks on a
// FIFO. It stops early once it has seen both kinds. A missing directory is
// DirNone, not an error; errors are failures to list a directory and a
// done ctx.
func Detect(ctx context.Context, dir string) (Detection, error) {
	return DetectSample(ctx, dir, 0)
}

// DetectSample is Detect that stops reading each sub-directory after n files
// that are a pickle or a statstore file (0: no limit). Commands that only read or append use it
// to stay fast on directories of many runs: a stray file of the other kind
// after the sample then fails alone when read. Whatever changes or removes
// files (repair, export) must use Detect.
func DetectSample(ctx context.Context, dir string, n int) (Detection, error) {
	var d Detection
	for _, sub := range []string{TrainingDir, ValidationDir} {
		decisive := 0
		subdir := filepath.Join(dir, sub)
		if fi, err := os.Stat(subdir); err != nil || !fi.IsDir() {
			continue // no such sub-directory: nothing to tell from
		}
		entries, err := os.ReadDir(subdir)
		if err != nil {
			return d, fmt.Errorf("dacapo: detect %s: %w", dir, err)
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return d, fmt.Errorf("dacapo: detect %s: %w", dir, err)
			}
			if strings.HasPrefix(e.Name(), ".") || e.IsDir() {
				continue
			}
			path := filepath.Join(dir, sub, e.Name())
			switch sniff(path) {
			case filePickle:
				decisive++
				if d.Pickle == "" {
					d.Pickle = path
				}
			case fileNative:
				decisive++
				if d.Native == "" {
					d.Native = path
				}
			}
			if d.Pickle != "" && d.Native != "" {
				d.Kind = DirMixed
				return d, nil
			}
			if n > 0 && decisive >= n {
				break
			}
		}
	}
	switch {
	case d.Pickle != "":
		d.Kind = DirDaCapo
	case d.Native != "":
		d.Kind = DirNative
	}
	return d, nil
}

// fileKind is what sniff tells from a file's first bytes.
type fileKind int

const (
	fileOther fileKind = iota
	filePickle
	fileNative
)

// sniff reads the first bytes of path, without blocking on a FIFO or
// reading anything but a regular file.
func sniff(path string) fileKind {
	f, _, err := openRegular(path)
	if err != nil {
		return fileOther
	}
	defer f.Close()
	var b [len(nativeMagic)]byte
	n, _ := io.ReadFull(f, b[:])
	return sniffBytes(b[:n])
}

// sniffBytes tells a pickle or a statstore file from its first bytes.
func sniffBytes(b []byte) fileKind {
	switch {
	case bytes.HasPrefix(b, []byte(nativeMagic)):
		return fileNative
	case len(b) >= 2 && b[0] == opProto:
		return filePickle
	case len(b) >= 2 && b[0] == opMark && b[1] == opList: // protocol 0: MARK LIST
		return filePickle
	case len(b) >= 2 && b[0] == opEmptyList && bytes.IndexByte([]byte{opBinput, opLongBinput, opMark, opStop, opAppend}, b[1]) >= 0: // protocol 1
		return filePickle
	}
	return fileOther
}

// openRegular opens path for reading (see fsutil.OpenRegular): anything
// but a regular file is a *fsutil.NotRegularError, and opening never blocks.
func openRegular(path string) (*os.File, fs.FileInfo, error) { return fsutil.OpenRegular(path) }

// isTempName reports a temporary file of Export (".<run>.tmp…"), which is
// no run.
func isTempName(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp")
}
