package filestore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// TestWatch runs the Watcher conformance in both modes, on a store that
// writes and watches (its own writes are seen like another process's: by
// following the directory).
func TestWatch(t *testing.T) {
	for _, mode := range []string{"notify", "poll"} {
		t.Run(mode, func(t *testing.T) {
			storetest.RunWatch(t, func(t *testing.T) statstore.StatsStore {
				return mustOpen(t, Options{Watch: mode, PollInterval: 20 * time.Millisecond})
			})
		})
	}
}

// TestWatchOtherStore: a Store sees the writes of another Store on the same
// directory (another process, as far as caches go).
func TestWatchOtherStore(t *testing.T) {
	for _, mode := range []string{"notify", "poll"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			reader, err := Open(dir, Options{Watch: mode, ReadOnly: false})
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			ch, err := reader.Watch(t.Context(), statstore.WatchFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got := reader.WatchMode(); got != mode {
				t.Fatalf("WatchMode() = %q, want %q", got, mode)
			}
			writer, err := Open(dir, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer writer.Close()
			var want []statstore.Event
			for i := 1; i <= 20; i++ {
				if err := writer.StoreTrainingStats(t.Context(), "r", storetest.Training(storetest.Iters(0, i, 1)...)); err != nil {
					t.Fatal(err)
				}
				want = append(want, statstore.Event{Kind: statstore.EventTrainingAppended, Run: "r", From: i - 1, To: i})
			}
			// Writes between two looks may arrive as one event: check that
			// the appends cover [0, 20) in order, without gaps or overlaps.
			next := 0
			timeout := time.After(10 * time.Second)
			for next < 20 {
				select {
				case ev := <-ch:
					if ev.Kind == statstore.EventRunCreated {
						continue
					}
					if ev.Kind != statstore.EventTrainingAppended || ev.From != next || ev.To <= ev.From {
						t.Fatalf("got %+v after appends up to %d", ev, next)
					}
					next = ev.To
				case <-timeout:
					t.Fatalf("appends seen up to %d of 20 within 10s", next)
				}
			}
		})
	}
}

func TestWatchModeOption(t *testing.T) {
	_, err := Open(t.TempDir(), Options{Watch: "sometimes"})
	if !errors.Is(err, statstore.ErrInvalidArgument) || !strings.Contains(err.Error(), "sometimes") {
		t.Fatalf("Open with Watch \"sometimes\": %v, want an invalid-argument error naming it", err)
	}
}

// TestWatchRunMeta: a change of a run's metadata file (DIR/run_meta/<run>,
// replaced whole by every change) is a meta_changed event.
func TestWatchRunMeta(t *testing.T) {
	for _, mode := range []string{"notify", "poll"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, metaDir), 0o755); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, Options{Watch: mode, PollInterval: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ch, err := s.Watch(t.Context(), statstore.WatchFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				tmp := filepath.Join(dir, tmpDir, "meta")
				if err := os.WriteFile(tmp, []byte(strings.Repeat("x", i+1)), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, filepath.Join(dir, metaDir, "r")); err != nil {
					t.Fatal(err)
				}
				select {
				case ev := <-ch:
					if ev.Kind != statstore.EventMetaChanged || ev.Run != "r" {
						t.Fatalf("change %d of r's metadata: got %+v, want meta_changed of r", i, ev)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("change %d of r's metadata: no event within 10s", i)
				}
			}
		})
	}
}
