package dirwatch

import (
	"errors"
	"testing"
	"time"
)

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Auto, Notify, Poll} {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("sometimes"); !errors.Is(err, ErrMode) {
		t.Errorf("ParseMode(sometimes): %v, want ErrMode", err)
	}
}

// TestPoll: polling asks for every file each interval.
func TestPoll(t *testing.T) {
	w, err := Start(t.Context(), []string{t.TempDir()}, Options{Mode: Poll, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if w.Mode() != Poll {
		t.Fatalf("mode %v", w.Mode())
	}
	select {
	case tr := <-w.C:
		if !tr.All {
			t.Fatalf("poll trigger %+v, want All", tr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no trigger within 10s")
	}
}

// TestNotifyMissingDir: notifications on a missing directory fail when
// asked for, and fall back to polling in auto mode.
func TestNotifyMissingDir(t *testing.T) {
	missing := t.TempDir() + "/missing"
	if _, err := Start(t.Context(), []string{missing}, Options{Mode: Notify}); err == nil {
		t.Fatal("Notify on a missing directory succeeded")
	}
	w, err := Start(t.Context(), []string{missing}, Options{Mode: Auto})
	if err != nil {
		t.Fatal(err)
	}
	if w.Mode() != Poll {
		t.Fatalf("auto on a directory that cannot be watched: mode %v, want poll", w.Mode())
	}
}
