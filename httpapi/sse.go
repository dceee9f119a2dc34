package httpapi

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Timing of the event stream.
const (
	// keepAlive is how often an idle stream sends a comment, so proxies and
	// clients see the connection alive.
	keepAlive = 15 * time.Second
	// eventWriteTimeout bounds each write to a stream: a client that stops
	// reading is dropped instead of holding the server.
	eventWriteTimeout = 30 * time.Second
	// retryMillis is the reconnection delay suggested to clients.
	retryMillis = 3000
)

// handleEvents streams the run's new entries as server-sent events (see
// docs/api.md): "training", "validation" and "delete" events with JSON data,
// and an "overflow" event before the stream ends when the client fell too
// far behind. The stream ends when the client leaves or the server closes.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sub, err := s.broker.subscribe(run, clientOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer s.broker.unsubscribe(sub)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	send := func(write func()) bool {
		rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout)) // best effort: not every writer has deadlines
		write()
		if bw.Flush() != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(func() { fmt.Fprintf(bw, "retry: %d\n: following run %s\n\n", retryMillis, strconv.Quote(run)) }) {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !send(func() { bw.WriteString(": keep-alive\n\n") }) {
				return
			}
		case ev, ok := <-sub.ch:
			if !ok {
				if sub.overflow {
					send(func() {
						bw.WriteString("event: overflow\ndata: {\"reason\":\"the client fell behind; reload the run and reconnect\"}\n\n")
					})
				}
				return
			}
			if !send(func() { fmt.Fprintf(bw, "id: %d\nevent: %s\ndata: %s\n\n", ev.id, ev.kind, ev.data) }) {
				return
			}
		}
	}
}
