package filestore

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/dirwatch"
	"github.com/statstore/statstore/internal/eventhub"
)

var _ statstore.Watcher = (*Store)(nil)

// follower is the Store's goroutine following the store's directories for
// Watch: it starts with the first Watch call and ends with Close.
type follower struct {
	mu     sync.Mutex
	hub    *eventhub.Hub
	cancel context.CancelFunc
	done   chan struct{}
	mode   dirwatch.Mode
	runs   map[string]runEnds // what the follower last saw of each run
}

// runEnds is a run's committed log ends as the follower last read them.
type runEnds struct {
	tstat, vstat *fileStamp // of the run's logs (follow them by their stamps: log_follow.go)
	mstat        *fileStamp // of DIR/run_meta/<run>
	train        *trainEnds // nil: no training file
	val          *valEnds   // nil: no validation file
}

type trainEnds struct {
	id          uint64 // the file's id: a replaced history is a new file
	first, last int    // iterations [first, last) stored; 0, 0 when empty
}

type valEnds struct {
	id  uint64
	end int64 // the committed end: any merge, mark or delete moves it
}

// WatchMode returns the way Watch follows the directory ("notify" or
// "poll"), or "" before the first Watch.
func (s *Store) WatchMode() string {
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	if s.follow.hub == nil {
		return ""
	}
	return s.follow.mode.String()
}

// Watch returns the changes of the store's runs from now on, made by this
// Store or by any other process writing the directory (see
// statstore.Watcher). The first call starts following the directory, as
// Options.Watch says, until Close: a change is seen within the poll
// interval when polling, within milliseconds with kernel notifications.
// Changes are told by comparing each changed file's committed end with the
// one seen before: a record being written (a torn tail) is seen once it is
// committed. Several writes between two looks may arrive as one event (two
// appends as one, an append and a replace as a replace).
func (s *Store) Watch(ctx context.Context, filter statstore.WatchFilter) (<-chan statstore.Event, error) {
	if err := s.checkOpen(ctx); err != nil {
		return nil, err
	}
	f := &s.follow
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hub == nil {
		if err := s.startFollow(); err != nil {
			return nil, err
		}
	}
	ch, err := f.hub.Subscribe(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	return ch, nil
}

// startFollow reads the runs' ends and starts the follower. The caller
// holds s.follow.mu.
func (s *Store) startFollow() error {
	mode, _ := dirwatch.ParseMode(s.opts.Watch) // checked by Open
	dirs := []string{filepath.Join(s.dir, kindTraining.dirName()), filepath.Join(s.dir, kindValidation.dirName())}
	for _, d := range dirs {
		if _, err := s.fs.Stat(d); err != nil {
			return pathError("watch", d, err)
		}
	}
	// The metadata directory is followed when it exists (a store without
	// run metadata yet: its first file is seen by the periodic look).
	if fi, err := s.fs.Stat(filepath.Join(s.dir, metaDir)); err == nil && fi.IsDir() {
		dirs = append(dirs, filepath.Join(s.dir, metaDir))
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := dirwatch.Start(ctx, dirs, dirwatch.Options{Mode: mode, PollInterval: s.opts.PollInterval, Logger: s.log})
	if err != nil {
		cancel()
		return fmt.Errorf("filestore: watch %s: %w", s.dir, err)
	}
	f := &s.follow
	f.hub, f.cancel, f.done, f.mode = eventhub.New(0), cancel, make(chan struct{}), w.Mode()
	f.runs = map[string]runEnds{}
	s.look(ctx, dirwatch.Trigger{All: true}, false) // the baseline: no events
	s.log.Info("following the store's directory", "dir", s.dir, "mode", w.Mode().String(), "file_system", w.FileSystem())
	go func() {
		defer close(f.done)
		for t := range w.C {
			s.look(ctx, t, true)
		}
	}()
	return nil
}

// stopFollow ends the follower, if any, and its subscriptions.
func (s *Store) stopFollow() {
	f := &s.follow
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hub == nil || f.cancel == nil {
		return
	}
	f.cancel()
	<-f.done
	f.hub.Close()
	f.cancel = nil
}

// look reads the ends of the runs t names (every run when t.All) whose
// files changed, and publishes what changed when publish is set. Only the
// follower's goroutine calls it (and startFollow before starting it).
func (s *Store) look(ctx context.Context, t dirwatch.Trigger, publish bool) {
	f := &s.follow
	names := t.Names
	if t.All {
		names = map[string]bool{}
		for run := range f.runs {
			names[run] = true // to see deletions
		}
		for _, k := range []fileKind{kindTraining, kindValidation} {
			runs, err := s.listDir(k)
			if err != nil {
				s.log.Warn("watch: cannot list the store's runs", "err", err)
				return
			}
			for _, r := range runs {
				names[r] = true
			}
		}
		if entries, err := s.fs.ReadDir(filepath.Join(s.dir, metaDir)); err == nil {
			for _, e := range entries {
				names[e.Name()] = true
			}
		}
	}
	for run := range names {
		if ctx.Err() != nil {
			return
		}
		if statstore.ValidateRunName(run) != nil {
			continue // a temporary file's name, or a foreign file
		}
		old := f.runs[run]
		cur, err := s.readEnds(ctx, run, old)
		if err != nil {
			// Told by readers too; the next change of the file is looked at again.
			s.log.Warn("watch: cannot read the run's ends", "run", run, "err", err)
			continue
		}
		if cur.train == nil && cur.val == nil && cur.mstat == nil {
			delete(f.runs, run)
		} else {
			f.runs[run] = cur
		}
		if publish {
			for _, ev := range diffEnds(run, old, cur) {
				f.hub.Publish(ev)
			}
		}
	}
}

// readEnds returns the run's ends, reading a file's committed end only
// when its stamp changed since old (through the Store's caches, which read
// only the records added since the last look).
func (s *Store) readEnds(ctx context.Context, run string, old runEnds) (runEnds, error) {
	cur := old
	var err error
	if cur.tstat, err = s.stampLog(kindTraining, run); err != nil {
		return old, err
	}
	if cur.vstat, err = s.stampLog(kindValidation, run); err != nil {
		return old, err
	}
	if cur.mstat, err = s.stampPath(filepath.Join(s.dir, metaDir, run)); err != nil {
		return old, err
	}
	if !sameStamp(cur.tstat, old.tstat) {
		cur.train, err = s.trainEnds(run)
		if err != nil {
			return old, err
		}
	}
	if !sameStamp(cur.vstat, old.vstat) {
		v, err := s.readVal(ctx, run)
		if err != nil {
			return old, err
		}
		cur.val = nil
		if v != nil {
			cur.val = &valEnds{id: v.id, end: v.end}
		}
	}
	return cur, nil
}

// trainEnds reads the committed end of the run's training file; nil when
// there is none.
func (s *Store) trainEnds(run string) (_ *trainEnds, err error) {
	lg, err := s.openLog(kindTraining, run, false)
	if err != nil || lg == nil {
		return nil, err
	}
	defer lg.close(&err)
	snap, err := s.loadTrain(lg)
	if err != nil {
		return nil, err
	}
	e := &trainEnds{id: snap.id}
	if snap.count > 0 {
		e.first, e.last = snap.first.Iteration, snap.trainedUntil()
	}
	return e, nil
}

// diffEnds returns the events that lead from old to cur.
func diffEnds(run string, old, cur runEnds) []statstore.Event {
	var out []statstore.Event
	add := func(k statstore.EventKind, from, to int) {
		out = append(out, statstore.Event{Kind: k, Run: run, From: from, To: to})
	}
	existed, exists := old.train != nil || old.val != nil, cur.train != nil || cur.val != nil
	if !existed && exists {
		add(statstore.EventRunCreated, 0, 0)
	}
	switch o, c := old.train, cur.train; {
	case c != nil && (o == nil || o.last == 0) && c.last > 0:
		add(statstore.EventTrainingAppended, c.first, c.last)
	case c != nil && o != nil && (c.id != o.id || c.last < o.last):
		add(statstore.EventTrainingReplaced, c.first, c.last)
	case c != nil && o != nil && c.last > o.last:
		add(statstore.EventTrainingAppended, o.last, c.last)
	case c == nil && o != nil:
		add(statstore.EventTrainingReplaced, 0, 0)
	}
	if o, c := old.val, cur.val; (o == nil) != (c == nil) || o != nil && *o != *c {
		add(statstore.EventValidationMerged, 0, 0)
	}
	if !sameStamp(old.mstat, cur.mstat) {
		add(statstore.EventMetaChanged, 0, 0)
	}
	if existed && !exists {
		add(statstore.EventRunDeleted, 0, 0)
	}
	return out
}
