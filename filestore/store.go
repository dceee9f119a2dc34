package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/dirwatch"
	"github.com/statstore/statstore/internal/fsutil"
)

// Options configure a Store.
type Options struct {
	// Logger receives the extend and overwrite decisions and torn-tail
	// repairs; nil discards them.
	Logger *slog.Logger
	// NoSync skips the fsyncs: a Store call that returns has handed its data
	// to the operating system, which survives a killed process but not a
	// crash of the machine.
	NoSync bool
	// ReadOnly opens the store for reading only: writes fail with
	// statstore.ErrReadOnly and nothing is created.
	ReadOnly bool

	// Now is the clock (nil = time.Now), used to tell leftover temporary
	// files (see StaleTempAge).
	Now func() time.Time

	// Watch is how Watch follows other processes' writes: "notify"
	// (kernel notifications), "poll" (a stat of every file each
	// PollInterval) or "auto" (the default: poll on network and cluster
	// file systems such as NFS and Lustre, notify elsewhere).
	Watch string
	// PollInterval is the polling period of Watch (0: 200ms).
	PollInterval time.Duration

	// fs is the file-system seam; nil is the operating system's. Tests in
	// this package set it to inject faults.
	fs fsutil.FS
}

// now returns the time by the configured clock.
func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Store is the file store: one append-only file per run for training stats
// and one for validation scores, under one directory. It is safe for
// concurrent use by goroutines and by processes (see the package doc).
type Store struct {
	dir  string
	opts Options
	log  *slog.Logger
	fs   fsutil.FS

	mu     sync.Mutex
	closed bool
	locks  map[string]chan struct{} // per-run in-process write locks
	train  map[string]*trainSnap    // cached training file states
	tfiles map[string]*trainFile    // training files' block indexes and maps
	val    map[string]*valSnap      // cached validation file states
	sums   map[string]cachedSummary // run summaries read or written (summary.go)
	// sumLag is how many bytes of appended records a run's summary file
	// may lag behind (summaryLag; 0 in tests that want every write).
	sumLag int64
	// files are the runs' files kept open between write calls
	// (runfiles.go); filesClock orders their last uses.
	files      map[string]*runFiles
	filesClock uint64
	// sumIndexed is set once the summary index was read into sums
	// (summary_index.go); metas caches run metadata by file stamp
	// (runmeta_cache.go).
	sumIndexed bool
	metas      map[string]cachedMeta
	// tornWarned remembers, per file, the size at which a torn tail was
	// last warned about, so that a reader polling a file warns once.
	tornWarned map[string]int64

	follow follower // Watch's follower of the directory
}

var _ statstore.StatsStore = (*Store)(nil)

// Directories under the store's root.
const (
	locksDir = ".locks"
	tmpDir   = ".tmp"
)

const (
	dirPerm  = 0o755
	filePerm = 0o644
)

// Open opens the file store in dir, creating the directory (unless
// opts.ReadOnly) if needed, and removes temporary files left by writes
// interrupted over StaleTempAge ago. It reads nothing else: files are read
// when their runs are.
func Open(dir string, opts Options) (*Store, error) {
	fsys := opts.fs
	if fsys == nil {
		fsys = fsutil.OS{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := dirwatch.ParseMode(opts.Watch); err != nil {
		return nil, fmt.Errorf("filestore: open %s: option Watch: %w: %w", dir, err, statstore.ErrInvalidArgument)
	}
	if opts.ReadOnly {
		fi, err := fsys.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("filestore: open %s read-only: %w", dir, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("filestore: open %s: not a directory: %w", dir, statstore.ErrInvalidArgument)
		}
	} else {
		// A new store's directories are made durable here, once, rather
		// than by the first write's fsyncs.
		var dirs []string
		for _, d := range []string{kindTraining.dirName(), kindValidation.dirName(), locksDir, tmpDir, summariesDir} {
			dirs = append(dirs, filepath.Join(dir, d))
		}
		if err := fsutil.MkdirAllDurably(fsys, dirPerm, opts.NoSync, dirs...); err != nil {
			return nil, pathError("open", dir, err)
		}
	}
	s := &Store{
		dir: dir, opts: opts, log: log, fs: fsys,
		locks:  map[string]chan struct{}{},
		train:  map[string]*trainSnap{},
		tfiles: map[string]*trainFile{},
		files:  map[string]*runFiles{},
		val:    map[string]*valSnap{},

		tornWarned: map[string]int64{},
		sumLag:     summaryLag,
	}
	if !opts.ReadOnly {
		s.removeStaleTemps()
		s.recoverTrash()
	}
	return s, nil
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

// Close writes the run summary files this Store let fall behind (see
// summariesDir) and releases the store; later calls fail with
// statstore.ErrClosed.
func (s *Store) Close() error {
	s.stopFollow()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		s.flushSummaries()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("filestore: close %s: %w", s.dir, statstore.ErrClosed)
	}
	s.closed = true
	for _, tf := range s.tfiles {
		s.dropMap(tf) // unmapped now, or when the last reader is done
	}
	s.closeFilesLocked()
	s.train, s.val, s.tfiles = nil, nil, nil
	return nil
}

// checkOpen reports a closed store or a cancelled context.
func (s *Store) checkOpen(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("filestore: %w", statstore.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	return nil
}

// check reports a closed store, a cancelled context or an invalid run name.
func (s *Store) check(ctx context.Context, run string) error {
	if err := s.checkOpen(ctx); err != nil {
		return err
	}
	if err := statstore.ValidateRunName(run); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	return nil
}

// checkWrite is check for a call that writes.
func (s *Store) checkWrite(ctx context.Context, run string) error {
	if err := s.check(ctx, run); err != nil {
		return err
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("filestore: %s was opened read-only: %w", s.dir, statstore.ErrReadOnly)
	}
	return nil
}

// path returns the file of run's data of kind k.
func (s *Store) path(k fileKind, run string) string {
	return filepath.Join(s.dir, k.dirName(), run)
}

// openFile opens run's file of kind k for reading (or writing), returning
// nil without an error when it does not exist. Anything but a regular file
// (a directory, a named pipe, a device) standing where the file must be is
// a *statstore.CorruptError; opening never blocks on it.
func (s *Store) openFile(k fileKind, run string, write bool) (fsutil.File, error) {
	return openData(s.fs, s.path(k, run), write)
}

// openData opens the data file at path as openFile does.
func openData(fsys fsutil.FS, path string, write bool) (fsutil.File, error) {
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
	}
	f, err := fsys.OpenFile(path, flag|fsutil.NonBlock, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if errors.Is(err, syscall.EISDIR) {
		return nil, &statstore.CorruptError{Path: path, Offset: 0, Reason: "a directory stands where a run's data file must be"}
	}
	if err != nil {
		return nil, pathError("open", path, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &statstore.CorruptError{Path: path, Offset: 0, Reason: fmt.Sprintf("a %s stands where a run's data file must be", fsutil.ModeName(fi.Mode()))}
	}
	if err != nil {
		_ = f.Close() // the error is what matters
		var ce *statstore.CorruptError
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, pathError("stat", path, err)
	}
	return f, nil
}

// readHeader reads and checks the header of f, returning it and the
// file's information (size and identity).
func readHeader(f fsutil.File, k fileKind) (header, fs.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return header{}, nil, fmt.Errorf("filestore: stat %s: %w", f.Name(), err)
	}
	buf := make([]byte, headerSize)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return header{}, fi, fmt.Errorf("filestore: read %s: %w", f.Name(), err)
	}
	h, err := decodeHeader(buf[:n], k)
	if err != nil {
		return header{}, fi, &statstore.CorruptError{Path: f.Name(), Offset: 0, Reason: err.Error()}
	}
	return h, fi, nil
}

// closeFile closes f, keeping the first error in *err.
func closeFile(f fsutil.File, err *error) {
	if cerr := f.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("filestore: close %s: %w", f.Name(), cerr)
	}
}

// pathError wraps err of an operation op on path, naming the path once:
// an *fs.PathError (or an error of a layer that named it) already does.
func pathError(op, path string, err error) error {
	if strings.Contains(err.Error(), path) {
		return fmt.Errorf("filestore: %s: %w", op, err)
	}
	return fmt.Errorf("filestore: %s %s: %w", op, path, err)
}

// corrupt turns a framing or decoding error at off in f into a
// *statstore.CorruptError naming the file.
func corrupt(path string, off int64, err error) error {
	return &statstore.CorruptError{Path: path, Offset: off, Reason: err.Error()}
}
