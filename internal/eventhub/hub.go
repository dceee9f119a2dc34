// Package eventhub fans a store's change events out to the channels of its
// Watch callers, with the statstore.Watcher contract: each subscriber gets
// the events in publication order, and one that falls more than its limit
// behind gets statstore.EventResync in place of the events it missed.
package eventhub

import (
	"context"
	"fmt"
	"sync"

	"github.com/statstore/statstore"
)

// DefaultLimit is the number of events a subscriber may fall behind before
// they are replaced by a resync.
const DefaultLimit = 4096

// Hub is a set of subscribers. Publish never blocks: each subscriber has a
// queue, drained by a goroutine the hub owns (Close waits for them).
type Hub struct {
	limit int

	mu     sync.Mutex
	subs   map[*sub]struct{}
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

type sub struct {
	filter statstore.WatchFilter
	queue  []statstore.Event // guarded by Hub.mu
	wake   chan struct{}     // capacity 1: the queue grew
	out    chan statstore.Event
}

// New returns a hub whose subscribers may fall limit events behind (<= 0:
// DefaultLimit).
func New(limit int) *Hub {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Hub{limit: limit, subs: map[*sub]struct{}{}, done: make(chan struct{})}
}

// Subscribe returns a channel of the events published from now on that
// filter passes, closed when ctx is done or the hub is closed. It fails
// with statstore.ErrClosed after Close.
func (h *Hub) Subscribe(ctx context.Context, filter statstore.WatchFilter) (<-chan statstore.Event, error) {
	if err := filter.Validate(); err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	s := &sub{filter: filter, wake: make(chan struct{}, 1), out: make(chan statstore.Event)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, fmt.Errorf("watch: %w", statstore.ErrClosed)
	}
	h.subs[s] = struct{}{}
	h.wg.Add(1)
	go h.pump(ctx, s)
	return s.out, nil
}

// Subscribers returns the number of open subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Publish queues ev for every subscriber whose filter passes it. A
// subscriber whose queue is full loses its queue to one resync event.
func (h *Hub) Publish(ev statstore.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.filter.Match(ev) {
			continue
		}
		if len(s.queue) >= h.limit {
			s.queue = append(s.queue[:0], statstore.Event{Kind: statstore.EventResync})
		}
		if ev.Kind == statstore.EventResync && len(s.queue) > 0 && s.queue[len(s.queue)-1].Kind == statstore.EventResync {
			continue // one resync stands for many
		}
		s.queue = append(s.queue, ev)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// pump sends s's queued events to s.out, numbering them, until ctx is done
// or the hub is closed.
func (h *Hub) pump(ctx context.Context, s *sub) {
	defer h.wg.Done()
	defer close(s.out)
	defer func() {
		h.mu.Lock()
		delete(h.subs, s)
		h.mu.Unlock()
	}()
	var seq uint64
	var batch []statstore.Event
	for {
		h.mu.Lock()
		batch, s.queue = s.queue, batch[:0]
		h.mu.Unlock()
		for _, ev := range batch {
			seq++
			ev.Seq = seq
			select {
			case s.out <- ev:
			case <-ctx.Done():
				return
			case <-h.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return
		case <-h.done:
			return
		}
	}
}

// Close ends every subscription, waits for the hub's goroutines and makes
// later Subscribe calls fail. Closing twice is not an error.
func (h *Hub) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
	h.mu.Unlock()
	h.wg.Wait()
}
