package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// steppingClock is a clock that advances by step at every reading.
func steppingClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

// manualClock is a clock that moves only when the test moves it.
type manualClock struct{ t time.Time }

func (c *manualClock) now() time.Time { return c.t }

// TestProgressDelay: a bar draws nothing before progressDelay has passed
// (a short command shows nothing), then shows the count and the item,
// clears its line when done and draws nothing after; without a terminal it
// never draws.
func TestProgressDelay(t *testing.T) {
	for _, bytesBar := range []bool{false, true} {
		var stderr bytes.Buffer
		clock := &manualClock{t: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)}
		app := &App{Stderr: &stderr, Progress: true, now: clock.now}
		var p *progress
		advance := func(item string) {
			if bytesBar {
				p.decoded("/d/training_stats/"+item, 1000, 1000)
			} else {
				p.step(item)
			}
		}
		if bytesBar {
			p = app.newBytesProgress(3000, "reading")
		} else {
			p = app.newProgress(3, "importing")
		}
		clock.t = clock.t.Add(progressDelay / 2)
		advance("run_a")
		if stderr.Len() != 0 {
			t.Fatalf("bytes %v: drawn %q before %v", bytesBar, stderr.String(), progressDelay)
		}
		clock.t = clock.t.Add(progressDelay)
		advance("run_b")
		drawn := stderr.String()
		wantCount := "2/3"
		if bytesBar {
			wantCount = "2.0/2.9 KiB"
		}
		if !strings.Contains(drawn, "run_b") || !strings.Contains(drawn, wantCount) {
			t.Fatalf("bytes %v: after %v drew %q, want the item run_b and %q", bytesBar, progressDelay*3/2, drawn, wantCount)
		}
		p.done()
		cleared := stderr.String()[len(drawn):]
		if !strings.HasPrefix(cleared, "\r") || strings.TrimSpace(cleared) != "" {
			t.Fatalf("bytes %v: done wrote %q, want the line cleared", bytesBar, cleared)
		}
		n := stderr.Len()
		advance("run_c")
		if stderr.Len() != n {
			t.Fatalf("bytes %v: drew %q after done", bytesBar, stderr.String()[n:])
		}
	}

	var stderr bytes.Buffer
	app := &App{Stderr: &stderr, Progress: false, now: steppingClock(time.Hour)}
	p := app.newBytesProgress(10, "reading")
	p.decoded("/d/training_stats/r", 5, 10)
	q := app.newProgress(2, "importing")
	q.step("r")
	p.done()
	q.done()
	if stderr.Len() != 0 {
		t.Fatalf("not a terminal: drew %q", stderr.String())
	}
}

// TestProgressClearedBeforeOutput: output on stdout first clears the bar,
// so a table never shares a line with it.
func TestProgressClearedBeforeOutput(t *testing.T) {
	var out bytes.Buffer
	app := &App{Stderr: &out, Progress: true, now: steppingClock(time.Second)}
	app.Stdout = clearingWriter{w: &out, app: app}
	p := app.newProgress(2, "reading")
	p.step("r")
	drawn := out.Len()
	if drawn == 0 {
		t.Fatal("the bar was not drawn")
	}
	if _, err := app.Stdout.Write([]byte("TABLE\n")); err != nil {
		t.Fatal(err)
	}
	rest := out.String()[drawn:]
	if i := strings.Index(rest, "TABLE"); i <= 0 || strings.TrimSpace(rest[:i]) != "" || !strings.HasPrefix(rest, "\r") {
		t.Fatalf("after the bar: %q, want the line cleared, then the output", rest)
	}
}
