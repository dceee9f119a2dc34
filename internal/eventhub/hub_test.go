package eventhub

import (
	"context"
	"errors"
	"testing"

	"github.com/statstore/statstore"
)

// TestOverflow: a subscriber that falls more than the limit behind gets a
// resync in place of the events it missed, then the new events in order.
func TestOverflow(t *testing.T) {
	h := New(3)
	defer h.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := h.Subscribe(ctx, statstore.WatchFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// The pump may take the first event before the queue fills: publish
	// while holding the hub's lock is not possible from here, so publish
	// many more than the limit.
	for i := range 100 {
		h.Publish(statstore.Event{Kind: statstore.EventTrainingAppended, Run: "r", To: i + 1})
	}
	h.Publish(statstore.Event{Kind: statstore.EventTrainingAppended, Run: "r", To: 1000})
	sawResync, last := false, 0
	for {
		ev := <-ch
		if ev.Kind == statstore.EventResync {
			sawResync = true
			continue
		}
		if ev.To <= last {
			t.Fatalf("event %+v after %d: out of order", ev, last)
		}
		last = ev.To
		if ev.To == 1000 {
			break
		}
	}
	if !sawResync {
		t.Fatal("100 events published to a subscriber with a limit of 3, not read: no resync")
	}
}

// TestClose: Close ends the subscriptions and refuses new ones.
func TestClose(t *testing.T) {
	h := New(0)
	ch, err := h.Subscribe(t.Context(), statstore.WatchFilter{})
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	if _, ok := <-ch; ok {
		t.Fatal("the channel stays open after Close")
	}
	if _, err := h.Subscribe(t.Context(), statstore.WatchFilter{}); !errors.Is(err, statstore.ErrClosed) {
		t.Fatalf("Subscribe after Close: %v, want ErrClosed", err)
	}
	if _, err := h.Subscribe(t.Context(), statstore.WatchFilter{Runs: []string{"../x"}}); err == nil {
		t.Fatal("Subscribe with an invalid run name succeeded")
	}
}
