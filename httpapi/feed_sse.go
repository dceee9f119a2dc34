package httpapi

import (
	"bufio"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/statstore/statstore"
)

// feedStreamKey is the broker's key of the store-wide streams (it counts
// them with the per-run ones, for the per-client limits); it is no valid run
// name, so no run's writes reach it.
const feedStreamKey = "*"

// handleFeed streams the store's changes as server-sent events (GET
// /api/v1/events, see docs/api.md): run_created, run_deleted,
// training_appended, training_replaced, validation_merged, meta_changed
// with JSON data {"run", "from", "to", "id"}, and resync when the client
// must reload (it fell behind, or came back with a Last-Event-ID this
// server cannot resume). ?run=A&run=B follows only those runs.
func (s *Server) handleFeed(w http.ResponseWriter, r *http.Request) {
	filter := statstore.WatchFilter{Runs: r.URL.Query()["run"]}
	if err := filter.Validate(); err != nil {
		s.writeError(w, r, fmt.Errorf("parameter run: %w", err))
		return
	}
	if err := s.feed.start(); err != nil {
		s.writeError(w, r, err)
		return
	}
	sub, err := s.broker.subscribe(feedStreamKey, clientOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer s.broker.unsubscribe(sub)
	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = r.URL.Query().Get("last_event_id")
	}
	cursor, resync := s.feed.cursor(lastID)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	flush := func() bool {
		rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout)) // best effort
		if bw.Flush() != nil {
			return false
		}
		return rc.Flush() == nil
	}
	fmt.Fprintf(bw, "retry: %d\n: following the store\n\n", retryMillis)
	writeResync := func() {
		fmt.Fprintf(bw, "id: %s\nevent: %s\ndata: {\"reason\":\"events may have been missed: reload\"}\n\n", s.feed.id(cursor), statstore.EventResync)
	}
	if resync {
		writeResync()
	}
	if !flush() {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		evs, lost, next, closed := s.feed.after(cursor)
		if closed {
			return
		}
		if lost {
			cursor, _ = s.feed.cursor("")
			writeResync()
		}
		for _, ev := range evs {
			cursor = ev.seq
			if ev.kind != statstore.EventResync && len(filter.Runs) > 0 && !slices.Contains(filter.Runs, ev.run) {
				continue
			}
			fmt.Fprintf(bw, "id: %s\nevent: %s\ndata: %s\n\n", s.feed.id(ev.seq), ev.kind, ev.data)
		}
		if (lost || len(evs) > 0) && !flush() {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case _, ok := <-sub.ch:
			if !ok {
				return // the server is closing, or the stream was dropped
			}
		case <-tick.C:
			bw.WriteString(": keep-alive\n\n")
			if !flush() {
				return
			}
		case <-next:
		}
	}
}
