package main

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/statstore/statstore/dacapo"
)

// progressDelay is how long a command runs before its progress bar
// appears: a command done sooner draws nothing.
const progressDelay = time.Second

// progress is a progress bar on stderr, drawn only when stderr is a
// terminal and only once the command has run for progressDelay; it counts
// steps (runs) or, for a bar made with bytes, bytes read. The zero value
// (and nil) draws nothing. It is cleared by done, and by the first write
// to stdout (see App.Stdout in Run), so that it never mixes with output.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	verb     string
	bytes    bool
	total    int64
	growing  bool // the total was unknown: each file met adds its size
	current  int64
	item     string
	start    time.Time
	now      func() time.Time
	bar      *progressbar.ProgressBar // made once progressDelay has passed
	finished bool
	// seen is, for a bytes bar fed by dacapo's OnDecode, the bytes of
	// each file being decoded reported so far.
	seen map[string]int64
}

// now returns the App's clock (time.Now unless a test sets one).
func (a *App) clock() func() time.Time {
	if a.now != nil {
		return a.now
	}
	return time.Now
}

// newProgress starts a bar over n steps.
func (a *App) newProgress(n int, desc string) *progress {
	return a.startProgress(int64(n), desc, false)
}

// newBytesProgress starts a bar over total bytes (0 when unknown: the
// total grows as files are met).
func (a *App) newBytesProgress(total int64, desc string) *progress {
	return a.startProgress(total, desc, true)
}

func (a *App) startProgress(total int64, desc string, bytes bool) *progress {
	if !a.Progress {
		a.bar = &progress{finished: true, bytes: bytes}
		return a.bar
	}
	now := a.clock()
	p := &progress{w: a.Stderr, verb: desc, bytes: bytes, total: total, growing: total <= 0, now: now, start: now(), seen: map[string]int64{}}
	a.bar.done() // a bar replaced is cleared
	a.bar = p
	return p
}

// pickleBytes is the size of the pickles of runs (all when none are
// named) in the DaCapo directory dir: the total of a bytes bar over them.
// Files that cannot be listed count for nothing.
func pickleBytes(dir string, runs []string) int64 {
	var total int64
	for _, sub := range []string{dacapo.TrainingDir, dacapo.ValidationDir} {
		if len(runs) == 0 {
			entries, _ := os.ReadDir(filepath.Join(dir, sub))
			for _, e := range entries {
				if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
					total += info.Size()
				}
			}
			continue
		}
		for _, r := range runs {
			if info, err := os.Stat(filepath.Join(dir, sub, r)); err == nil && info.Mode().IsRegular() {
				total += info.Size()
			}
		}
	}
	return total
}

// noProgress keeps the command from drawing any bar: a server, or a
// shell's completion, where a bar would never end or would garble the line.
func (a *App) noProgress() {
	a.bar.done()
	a.bar = &progress{finished: true}
}

// step advances a bar of steps by one and names the current item.
func (p *progress) step(item string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.item = item
	p.advance(1)
}

// decoded is dacapo's Options.OnDecode for a bytes bar: it adds what
// decoding path advanced since its last report and names the run.
func (p *progress) decoded(path string, done, size int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	if _, ok := p.seen[path]; !ok {
		switch {
		case p.growing:
			p.total += size
		case p.current+size > p.total:
			p.total = p.current + size // a file the total did not count
		}
	}
	delta := done - p.seen[path]
	p.seen[path] = done
	if done == size {
		delete(p.seen, path)
	}
	p.item = filepath.Base(path)
	p.advance(delta)
}

// advance adds n and draws once progressDelay has passed. p.mu is held.
func (p *progress) advance(n int64) {
	if p.finished {
		return
	}
	p.current += n
	if p.bar == nil {
		if p.now().Sub(p.start) < progressDelay {
			return
		}
		p.bar = p.newBar()
	}
	if p.total > 0 && p.bar.GetMax64() != p.total {
		p.bar.ChangeMax64(p.total)
	}
	p.bar.Describe(p.verb + " " + p.item)
	_ = p.bar.Set64(p.current) // drawing errors only affect the bar
}

func (p *progress) newBar() *progressbar.ProgressBar {
	max := p.total
	if max <= 0 {
		max = -1 // unknown: a spinner with the count
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(p.verb),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	}
	if p.bytes {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionUseIECUnits(true))
	}
	return progressbar.NewOptions64(max, opts...)
}

// done clears the bar, if it was drawn; later updates draw nothing.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if p.bar != nil {
		_ = p.bar.Clear()
		_ = p.bar.Exit()
	}
}

// clearingWriter is stdout while a progress bar may be drawn: its first
// write clears the bar.
type clearingWriter struct {
	w   io.Writer
	app *App
}

func (c clearingWriter) Write(b []byte) (int, error) {
	c.app.bar.done()
	return c.w.Write(b)
}
