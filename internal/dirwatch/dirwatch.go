// Package dirwatch tells a follower of directories when to look at which
// of their files: from kernel notifications (fsnotify: inotify, kqueue,
// ReadDirectoryChangesW) where they work, or from a timer where they do not
// (NFS, Lustre and other network or cluster file systems, whose clients are
// not notified of other machines' writes).
//
// dirwatch reads no file: it only sends Triggers, and the follower compares
// what it finds with what it saw before. A notification may be lost (the
// kernel's queue overflowed): then, and every RescanInterval anyway, the
// trigger asks for everything.
package dirwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Mode chooses how changes are noticed.
type Mode int

// The modes.
const (
	// Auto polls on network and cluster file systems and uses kernel
	// notifications elsewhere (polling when they cannot be set up).
	Auto Mode = iota
	// Notify uses kernel notifications.
	Notify
	// Poll looks at every file every poll interval.
	Poll
)

// ErrMode is returned by ParseMode for an unknown mode.
var ErrMode = errors.New("dirwatch: unknown watch mode (want auto, notify or poll)")

// ParseMode parses "auto", "notify" or "poll".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "notify":
		return Notify, nil
	case "poll":
		return Poll, nil
	}
	return Auto, fmt.Errorf("%w: %q", ErrMode, s)
}

// String returns the mode's name, as ParseMode reads it.
func (m Mode) String() string {
	switch m {
	case Notify:
		return "notify"
	case Poll:
		return "poll"
	}
	return "auto"
}

// Timing defaults.
const (
	// DefaultPollInterval bounds the latency of polling.
	DefaultPollInterval = 200 * time.Millisecond
	// RescanInterval is how often a notified watcher looks at everything
	// anyway, in case a notification was lost without an overflow.
	RescanInterval = 5 * time.Second
	// coalesce gathers the notifications of one write (a record is
	// several writes, a new file a create and a rename) into one trigger.
	coalesce = 10 * time.Millisecond
)

// Trigger asks the follower to look at files.
type Trigger struct {
	// All: look at every file of the directories.
	All bool
	// Names are the base names of the files to look at (when not All),
	// whichever directory they are in.
	Names map[string]bool
}

// Options configure Start.
type Options struct {
	Mode         Mode
	PollInterval time.Duration // 0 is DefaultPollInterval
	Logger       *slog.Logger  // nil discards
}

// Watcher sends Triggers on C until its context is done; then C is closed.
type Watcher struct {
	// C receives the triggers; a trigger not yet received absorbs later
	// ones, so a slow follower is never more than one look behind.
	C    <-chan Trigger
	mode Mode
	fs   string
}

// Mode returns the mode in use (never Auto).
func (w *Watcher) Mode() Mode { return w.mode }

// FileSystem names the file system type Auto detected ("" when it was not
// asked or not told).
func (w *Watcher) FileSystem() string { return w.fs }

// Start watches dirs (which must exist) until ctx is done. The goroutine it
// starts ends when ctx is done; wait for C to close to know it has.
func Start(ctx context.Context, dirs []string, opts Options) (*Watcher, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	interval := opts.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	w := &Watcher{mode: opts.Mode}
	if w.mode == Auto {
		w.mode = Notify
		if len(dirs) > 0 {
			fs, network := fileSystem(dirs[0])
			w.fs = fs
			if network {
				w.mode = Poll
			}
		}
	}
	out := make(chan Trigger, 1)
	w.C = out
	if w.mode == Notify {
		n, err := notifier(dirs)
		if err == nil {
			go w.notify(ctx, n, out, log)
			return w, nil
		}
		if opts.Mode == Notify {
			return nil, fmt.Errorf("dirwatch: kernel notifications: %w", err)
		}
		log.Warn("kernel notifications unavailable, polling instead", "err", err, "interval", interval)
		w.mode = Poll
	}
	go w.poll(ctx, interval, out)
	return w, nil
}

// notifier watches dirs with fsnotify.
func notifier(dirs []string) (*fsnotify.Watcher, error) {
	n, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if err := n.Add(d); err != nil {
			n.Close()
			return nil, fmt.Errorf("watch %s: %w", d, err)
		}
	}
	return n, nil
}

// send merges t into the pending trigger, if any, and queues it.
func send(out chan Trigger, t Trigger) {
	select {
	case old := <-out:
		if old.All || t.All {
			t = Trigger{All: true}
		} else {
			for n := range old.Names {
				t.Names[n] = true
			}
		}
	default:
	}
	out <- t // cannot block: this goroutine is the only sender
}

func (w *Watcher) poll(ctx context.Context, interval time.Duration, out chan Trigger) {
	defer close(out)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			send(out, Trigger{All: true})
		}
	}
}

func (w *Watcher) notify(ctx context.Context, n *fsnotify.Watcher, out chan Trigger, log *slog.Logger) {
	defer close(out)
	defer n.Close()
	rescan := time.NewTicker(RescanInterval)
	defer rescan.Stop()
	flush := time.NewTimer(time.Hour)
	flush.Stop()
	pending := Trigger{Names: map[string]bool{}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-rescan.C:
			send(out, Trigger{All: true})
		case ev, ok := <-n.Events:
			if !ok {
				return
			}
			if len(pending.Names) == 0 && !pending.All {
				flush.Reset(coalesce)
			}
			pending.Names[filepath.Base(ev.Name)] = true
		case err, ok := <-n.Errors:
			if !ok {
				return
			}
			log.Warn("file notifications lost; looking at every file", "err", err)
			pending.All = true
			flush.Reset(coalesce)
		case <-flush.C:
			send(out, pending)
			pending = Trigger{Names: map[string]bool{}}
		}
	}
}
