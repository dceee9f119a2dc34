package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// watchWait bounds the wait for one event: generous, since it only fails a
// test that would otherwise hang (the latency is reported, not asserted).
const watchWait = 10 * time.Second

// WatchStep is one write of RunWatch and the event it must cause.
type WatchStep struct {
	Name  string
	Write func(ctx context.Context, s statstore.StatsStore) error
	// Want is the event the write causes (Seq and ID are not compared;
	// From and To only for training events, whose range every backend can
	// tell).
	Want statstore.Event
}

// WatchSteps are the writes RunWatch makes, in order, each with the event
// it causes.
func WatchSteps() []WatchStep {
	m := Metadata()
	ev := func(k statstore.EventKind, run string, from, to int) statstore.Event {
		return statstore.Event{Kind: k, Run: run, From: from, To: to}
	}
	return []WatchStep{
		{"first training creates the run", func(ctx context.Context, s statstore.StatsStore) error {
			return s.StoreTrainingStats(ctx, "w", Training(0, 1, 2))
		}, ev(statstore.EventRunCreated, "w", 0, 0)},
		{"append", func(ctx context.Context, s statstore.StatsStore) error {
			return s.StoreTrainingStats(ctx, "w", Training(Iters(0, 6, 1)...))
		}, ev(statstore.EventTrainingAppended, "w", 3, 6)},
		{"resume replaces", func(ctx context.Context, s statstore.StatsStore) error {
			return s.StoreTrainingStats(ctx, "w", TrainingVersion(1, 0, 1))
		}, ev(statstore.EventTrainingReplaced, "w", 0, 2)},
		{"validation merge", func(ctx context.Context, s statstore.StatsStore) error {
			return s.StoreValidationIterationScores(ctx, "w", Scores(m, 0, 1))
		}, ev(statstore.EventValidationMerged, "w", 0, 0)},
		{"validation delete after", func(ctx context.Context, s statstore.StatsStore) error {
			return s.DeleteValidationAfter(ctx, "w", 1)
		}, ev(statstore.EventValidationMerged, "w", 0, 0)},
		{"other run", func(ctx context.Context, s statstore.StatsStore) error {
			return s.StoreValidationIterationScores(ctx, "x", Scores(m, 5))
		}, ev(statstore.EventRunCreated, "x", 0, 0)},
		{"delete run", func(ctx context.Context, s statstore.StatsStore) error {
			return s.DeleteRun(ctx, "w")
		}, ev(statstore.EventRunDeleted, "w", 0, 0)},
	}
}

// RunWatch checks a statstore.Watcher: each write of WatchSteps is followed,
// before the next write, by its event (other events of the run may come
// between, as hints may); Seq increases; a stream filtered to one run gets
// only that run's events. It reports the slowest event's latency.
func RunWatch(t *testing.T, open Opener) {
	t.Helper()
	s := open(t)
	t.Cleanup(func() { s.Close() })
	w, ok := s.(statstore.Watcher)
	if !ok {
		t.Fatalf("%T does not implement statstore.Watcher", s)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	all, err := w.Watch(ctx, statstore.WatchFilter{})
	if err != nil {
		t.Fatal(err)
	}
	onlyX, err := w.Watch(ctx, statstore.WatchFilter{Runs: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	var slowest time.Duration
	var last uint64
	for _, st := range WatchSteps() {
		start := time.Now()
		if err := st.Write(ctx, s); err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		got, err := awaitEvent(all, st.Want, &last)
		if err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		slowest = max(slowest, time.Since(start))
		t.Logf("%s: %s %s [%d, %d) seq %d", st.Name, got.Kind, got.Run, got.From, got.To, got.Seq)
	}
	t.Logf("slowest event arrived %v after its write returned", slowest)
	var lastX uint64
	if _, err := awaitEvent(onlyX, statstore.Event{Kind: statstore.EventRunCreated, Run: "x"}, &lastX); err != nil {
		t.Fatalf("filtered stream: %v", err)
	}
	// The filtered stream must not carry run w's events: write x again
	// and see that the next event of the filtered stream is x's.
	if err := s.StoreTrainingStats(ctx, "x", Training(0)); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case ev := <-onlyX:
			if ev.Run != "x" && ev.Kind != statstore.EventResync {
				t.Fatalf("stream filtered to run x got %+v", ev)
			}
			if ev.Kind == statstore.EventTrainingAppended || ev.Kind == statstore.EventTrainingReplaced {
				return
			}
		case <-time.After(watchWait):
			t.Fatal("stream filtered to run x: no training event after a write of x")
		}
	}
}

// awaitEvent reads ch until an event matching want arrives, checking that
// Seq increases.
func awaitEvent(ch <-chan statstore.Event, want statstore.Event, last *uint64) (statstore.Event, error) {
	timeout := time.After(watchWait)
	var seen []statstore.Event
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return ev, fmt.Errorf("the watch channel closed before %s of %s; got %v", want.Kind, want.Run, seen)
			}
			if ev.Seq <= *last {
				return ev, fmt.Errorf("event %+v: seq does not increase after %d", ev, *last)
			}
			*last = ev.Seq
			seen = append(seen, ev)
			training := want.Kind == statstore.EventTrainingAppended || want.Kind == statstore.EventTrainingReplaced
			if ev.Kind != want.Kind || ev.Run != want.Run || training && (ev.From != want.From || ev.To != want.To) {
				continue // an earlier write's event, or another run's
			}
			return ev, nil
		case <-timeout:
			return statstore.Event{}, fmt.Errorf("no %s event of run %q [%d, %d) within %v; got %v", want.Kind, want.Run, want.From, want.To, watchWait, seen)
		}
	}
}
