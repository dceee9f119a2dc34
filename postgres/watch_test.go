package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pgtest"
	"github.com/statstore/statstore/storetest"
)

func TestWatch(t *testing.T) {
	storetest.RunWatch(t, func(t *testing.T) statstore.StatsStore {
		s, _ := openStore(t, Options{})
		return s
	})
}

// nextEvent waits (generously) for the next event of ch.
func nextEvent(t *testing.T, ch <-chan statstore.Event) statstore.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the watch channel closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return statstore.Event{}
}

// TestWatchOtherProcess: a Store sees the writes of another Store on the
// same schema, with the same event IDs, and not those of another schema.
func TestWatchOtherProcess(t *testing.T) {
	ctx := t.Context()
	a, url := openStore(t, Options{})
	b, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	other, _ := openStore(t, Options{})
	chA, err := a.Watch(ctx, statstore.WatchFilter{})
	if err != nil {
		t.Fatal(err)
	}
	chB, err := b.Watch(ctx, statstore.WatchFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.StoreTrainingStats(ctx, "elsewhere", storetest.Training(0)); err != nil {
		t.Fatal(err)
	}
	if err := b.StoreTrainingStats(ctx, "r", storetest.Training(0, 1)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []statstore.EventKind{statstore.EventRunCreated, statstore.EventTrainingAppended} {
		ea, eb := nextEvent(t, chA), nextEvent(t, chB)
		if ea.Kind != want || ea.Run != "r" || ea.ID == "" || ea.ID != eb.ID || ea.Kind != eb.Kind {
			t.Fatalf("got %+v and %+v, want %s of run r with one non-empty ID", ea, eb, want)
		}
	}
}

// TestWatchServerRestart kills PostgreSQL under a watcher: after the restart
// the watcher sends a resync, then the events of new writes.
func TestWatchServerRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	srv := pgtest.StartServer(t)
	s, err := Open(ctx, srv.Schema(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ch, err := s.Watch(ctx, statstore.WatchFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StoreTrainingStats(ctx, "r", storetest.Training(0)); err != nil {
		t.Fatal(err)
	}
	for ev := nextEvent(t, ch); ev.Kind != statstore.EventTrainingAppended; ev = nextEvent(t, ch) {
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ch); ev.Kind != statstore.EventResync {
		t.Fatalf("after a restart got %+v, want a resync", ev)
	}
	// The pool's connections died with the server: retry until a write
	// goes through.
	for {
		err := s.StoreTrainingStats(ctx, "r", storetest.Training(0, 1))
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
	}
	ev := nextEvent(t, ch)
	if ev.Kind != statstore.EventTrainingAppended || ev.From != 1 || ev.To != 2 {
		t.Fatalf("after the restart got %+v, want training_appended [1, 2)", ev)
	}
}

// FuzzNotification: any payload decodes to valid events or an error.
func FuzzNotification(f *testing.F) {
	f.Add(`{"id":"ab","events":[{"kind":"training_appended","run":"r","from":1,"to":2}]}`)
	f.Add(`{"id":"ab","events":[{"kind":"resync","run":"r"}]}`)
	f.Add(`{"events":[]}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, payload string) {
		evs, err := decodeNotification(payload)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if statstore.ValidateRunName(ev.Run) != nil || ev.ID == "" || ev.Kind == statstore.EventResync {
				t.Fatalf("decoded %+v from %q", ev, payload)
			}
		}
	})
}
