package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/statstore/statstore"
)

// feedRing is how many events of the store-wide stream a server keeps, so
// that a client reconnecting with Last-Event-ID misses none of them.
const feedRing = 4096

// feedEvent is one event of the store-wide stream, with its data encoded.
type feedEvent struct {
	seq  uint64
	kind statstore.EventKind
	run  string
	data []byte
}

// feedData is the data of an event of GET /api/v1/events.
type feedData struct {
	Run  string `json:"run,omitempty"`
	From int    `json:"from"`
	To   int    `json:"to"`
	// ID identifies the change across servers (PostgreSQL); clients of
	// several replicas drop an event whose id they have applied.
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// feed is the store-wide event stream of a server: the store's Watch
// events (or, for a store that is no statstore.Watcher, the events of the
// writes through this server), numbered and kept in a ring for clients that
// reconnect. Event ids are "<epoch>-<seq>": a client that comes back with an
// id of another epoch (another server, or this one restarted) or one older
// than the ring gets a resync.
type feed struct {
	epoch   string
	watcher statstore.Watcher // nil: the writes through this server only
	logger  *slog.Logger

	mu      sync.Mutex
	ring    []feedEvent // the last events, oldest first
	seq     uint64      // the last event's number
	changed chan struct{}
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// newFeed returns the feed of store, which starts following it with the
// first stream.
func newFeed(store statstore.StatsStore, logger *slog.Logger) *feed {
	var id [6]byte
	rand.Read(id[:])
	f := &feed{epoch: hex.EncodeToString(id[:]), logger: logger, changed: make(chan struct{})}
	f.watcher, _ = store.(statstore.Watcher)
	return f
}

// start starts following the store's Watch stream, once.
func (f *feed) start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return newRequestError(codeUnavailable, "the server is shutting down and opens no new event streams; reconnect to the restarted server")
	}
	if f.started {
		return nil
	}
	if f.watcher == nil {
		f.started = true // from now on the writes through this server publish
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := f.watcher.Watch(ctx, statstore.WatchFilter{})
	if err != nil {
		cancel()
		return fmt.Errorf("follow the store's changes: %w", err)
	}
	f.started, f.cancel, f.done = true, cancel, make(chan struct{})
	go func() {
		defer close(f.done)
		for ev := range ch {
			f.publish(ev)
		}
		if ctx.Err() == nil {
			// The store was closed under the server: clients resync (and
			// find out) and a later stream starts a new Watch.
			f.logger.Warn("the store's change stream ended")
			f.publish(statstore.Event{Kind: statstore.EventResync})
			f.mu.Lock()
			f.started = false
			f.mu.Unlock()
		}
	}()
	return nil
}

// local reports whether the server itself must publish the events of the
// writes it makes (the store cannot be watched) because the stream has
// followers.
func (f *feed) local() bool {
	if f.watcher != nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.started
}

// publish numbers ev and adds it to the ring.
func (f *feed) publish(ev statstore.Event) {
	d := feedData{Run: ev.Run, From: ev.From, To: ev.To, ID: ev.ID}
	if ev.Kind == statstore.EventResync {
		d.Reason = "the server may have missed changes: reload"
	}
	data, _ := json.Marshal(d) // strings and ints always marshal
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.seq++
	if len(f.ring) == feedRing {
		f.ring = append(f.ring[:0], f.ring[1:]...)
	}
	f.ring = append(f.ring, feedEvent{seq: f.seq, kind: ev.Kind, run: ev.Run, data: data})
	close(f.changed)
	f.changed = make(chan struct{})
}

// cursor returns where a stream resumes: after the event lastID names when
// the ring still holds what follows it (resync false), otherwise at the
// newest event, with resync true when lastID was given.
func (f *feed) cursor(lastID string) (seq uint64, resync bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if lastID == "" {
		return f.seq, false
	}
	epoch, n, ok := strings.Cut(lastID, "-")
	last, err := strconv.ParseUint(n, 10, 64)
	if !ok || err != nil || epoch != f.epoch || last > f.seq || !f.holdsAfter(last) {
		return f.seq, true
	}
	return last, false
}

// holdsAfter reports whether the ring holds every event after seq. The
// caller holds f.mu.
func (f *feed) holdsAfter(seq uint64) bool {
	return seq == f.seq || len(f.ring) > 0 && f.ring[0].seq <= seq+1
}

// after returns the events after seq (lost true when the ring no longer
// holds them all) and a channel closed at the next event.
func (f *feed) after(seq uint64) (evs []feedEvent, lost bool, next <-chan struct{}, closed bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.holdsAfter(seq) {
		return nil, true, f.changed, f.closed
	}
	for i := len(f.ring) - 1; i >= 0 && f.ring[i].seq > seq; i-- {
		evs = append(evs, f.ring[i])
	}
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs, false, f.changed, f.closed
}

// id returns the SSE id of event seq.
func (f *feed) id(seq uint64) string { return f.epoch + "-" + strconv.FormatUint(seq, 10) }

// close stops following the store and wakes the streams, which end.
func (f *feed) close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	close(f.changed)
	f.changed = make(chan struct{})
	cancel, done := f.cancel, f.done
	f.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
