package httpapi

import (
	"sync"
)

// Limits of the event stream.
const (
	// subscriberBuffer is how many events a subscriber may fall behind
	// before it is dropped (its stream ends with an "overflow" event and the
	// client reconnects and reloads).
	subscriberBuffer = 256
	// maxSubscribers bounds the open event streams of one server.
	maxSubscribers = 1024
)

// event is one server-sent event: its kind ("training", "validation",
// "delete") and its JSON data.
type event struct {
	id   uint64
	kind string
	data []byte
}

// subscriber receives the events of one run on a bounded channel.
type subscriber struct {
	run    string
	client string // the remote IP address, for the per-client limit
	ch     chan event
	// overflow is set, before ch is closed, when the subscriber fell more
	// than subscriberBuffer events behind.
	overflow bool
}

// broker fans events out to the subscribers of each run. It owns no
// goroutines: each subscriber is served by its request's goroutine, which
// returns when the channel is closed (overflow or close) or its client leaves.
type broker struct {
	mu        sync.Mutex
	subs      map[string]map[*subscriber]struct{}
	count     int
	clients   map[string]int // open streams per client
	perClient int            // limit of one client
	total     int            // limit of all clients
	nextID    uint64
	closed    bool
}

// newBroker returns a broker that accepts perClient streams of one client
// and total streams in all.
func newBroker(perClient, total int) *broker {
	return &broker{subs: map[string]map[*subscriber]struct{}{}, clients: map[string]int{}, perClient: perClient, total: total}
}

// subscribe registers a subscriber of client for run's events.
func (b *broker) subscribe(run, client string) (*subscriber, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, newRequestError(codeUnavailable, "the server is shutting down and opens no new event streams; reconnect to the restarted server")
	}
	if b.clients[client] >= b.perClient {
		return nil, newRequestError(codeTooManyRequests, "this client already follows %d event streams, its limit: close one (a browser tab) first", b.clients[client])
	}
	if b.count >= b.total {
		return nil, newRequestError(codeUnavailable, "%d event streams are open, the server's limit; retry later", b.count)
	}
	s := &subscriber{run: run, client: client, ch: make(chan event, subscriberBuffer)}
	if b.subs[run] == nil {
		b.subs[run] = map[*subscriber]struct{}{}
	}
	b.subs[run][s] = struct{}{}
	b.count++
	b.clients[client]++
	return s, nil
}

// unsubscribe removes s; it is a no-op when s was already removed.
func (b *broker) unsubscribe(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.removeLocked(s)
}

func (b *broker) removeLocked(s *subscriber) {
	set, ok := b.subs[s.run]
	if !ok {
		return
	}
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(b.subs, s.run)
	}
	b.count--
	if b.clients[s.client]--; b.clients[s.client] <= 0 {
		delete(b.clients, s.client)
	}
	close(s.ch)
}

// hasSubscribers reports whether anyone follows run.
func (b *broker) hasSubscribers(run string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[run]) > 0
}

// subscribers returns the number of open streams.
func (b *broker) subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.count
}

// publish sends an event to run's subscribers without blocking: a
// subscriber whose buffer is full is dropped.
func (b *broker) publish(run, kind string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.nextID++
	ev := event{id: b.nextID, kind: kind, data: data}
	for s := range b.subs[run] {
		select {
		case s.ch <- ev:
		default:
			s.overflow = true
			b.removeLocked(s)
		}
	}
}

// close ends every stream and refuses new ones.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, set := range b.subs {
		for s := range set {
			b.removeLocked(s)
		}
	}
}
