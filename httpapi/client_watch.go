package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/statstore/statstore"
)

// Reconnection delays of Client.Watch.
const (
	minWatchRetry = 200 * time.Millisecond
	maxWatchRetry = 5 * time.Second
)

var _ statstore.Watcher = (*Client)(nil)

// Watch follows the server's store-wide event stream (GET /api/v1/events,
// see statstore.Watcher). When the stream breaks it reconnects with the
// last event's id, so that the server sends what was missed, or a resync
// when it cannot (another replica, a restarted server, too long away). The
// channel closes when ctx is done, or when the stream breaks after the
// client was closed.
func (c *Client) Watch(ctx context.Context, filter statstore.WatchFilter) (<-chan statstore.Event, error) {
	if err := filter.Validate(); err != nil {
		return nil, fmt.Errorf("httpapi: watch: %w", err)
	}
	resp, err := c.openFeed(ctx, filter, "")
	if err != nil {
		return nil, err
	}
	out := make(chan statstore.Event)
	go c.followFeed(ctx, filter, resp, out)
	return out, nil
}

// openFeed opens the event stream, resuming after lastID when set.
func (c *Client) openFeed(ctx context.Context, filter statstore.WatchFilter, lastID string) (*http.Response, error) {
	if c.closed.Load() {
		return nil, fmt.Errorf("httpapi: watch: %w", statstore.ErrClosed)
	}
	u := c.base.String() + "/api/v1/events"
	if len(filter.Runs) > 0 {
		u += "?" + url.Values{"run": filter.Runs}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, fmt.Errorf("httpapi: GET %s: %w", u, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("httpapi: GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, fmt.Errorf("httpapi: GET %s: %w", u, decodeError(resp))
	}
	return resp, nil
}

// followFeed sends the events of resp to out, reconnecting when the
// stream breaks, until ctx is done or the client is closed.
func (c *Client) followFeed(ctx context.Context, filter statstore.WatchFilter, resp *http.Response, out chan<- statstore.Event) {
	defer close(out)
	var seq uint64
	lastID := ""
	send := func(ev statstore.Event) bool {
		seq++
		ev.Seq = seq
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	delay := minWatchRetry
	for {
		if resp != nil {
			ok := readFeed(resp, func(id, kind, data string) bool {
				if id != "" {
					lastID = id
				}
				ev, ok := decodeFeedEvent(kind, data)
				return !ok || send(ev)
			})
			resp.Body.Close()
			resp = nil
			if !ok || ctx.Err() != nil || c.closed.Load() {
				return
			}
			delay = minWatchRetry
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		if c.closed.Load() {
			return
		}
		r, err := c.openFeed(ctx, filter, lastID)
		if err != nil {
			delay = min(2*delay, maxWatchRetry)
			continue
		}
		resp = r
		if lastID == "" && !send(statstore.Event{Kind: statstore.EventResync}) {
			// No id to resume from: what happened meanwhile is unknown.
			resp.Body.Close()
			return
		}
	}
}

// readFeed parses server-sent events from resp's body and calls fn with
// each one's id, event name and data, until the body ends (true) or fn
// returns false (false).
func readFeed(resp *http.Response, fn func(id, kind, data string) bool) bool {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var id, kind string
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if kind != "" || len(data) > 0 {
				if !fn(id, kind, strings.Join(data, "\n")) {
					return false
				}
			}
			id, kind, data = "", "", nil
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			kind = value
		case "data":
			data = append(data, value)
		}
	}
	return true
}

// decodeFeedEvent decodes one event of the stream; ok is false for an
// event this client does not know (a newer server's), which it skips.
func decodeFeedEvent(kind, data string) (statstore.Event, bool) {
	k := statstore.EventKind(kind)
	switch k {
	case statstore.EventRunCreated, statstore.EventRunDeleted, statstore.EventTrainingAppended, statstore.EventTrainingReplaced,
		statstore.EventValidationMerged, statstore.EventMetaChanged:
	case statstore.EventResync:
		return statstore.Event{Kind: k}, true
	default:
		return statstore.Event{}, false
	}
	var d feedData
	if err := json.Unmarshal([]byte(data), &d); err != nil || statstore.ValidateRunName(d.Run) != nil {
		// Unreadable: the consumer cannot tell what changed, so it reloads.
		return statstore.Event{Kind: statstore.EventResync}, true
	}
	return statstore.Event{Kind: k, Run: d.Run, From: d.From, To: d.To, ID: d.ID}, true
}
