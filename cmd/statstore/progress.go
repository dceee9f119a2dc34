package main

import (
	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar on stderr, drawn only when stderr is a
// terminal; the zero value (and nil) draws nothing.
type progress struct {
	bar  *progressbar.ProgressBar
	verb string
}

// newProgress starts a bar over n steps.
func (a *App) newProgress(n int, desc string) *progress {
	if !a.Progress || n <= 0 {
		return &progress{}
	}
	return &progress{verb: desc, bar: progressbar.NewOptions(n,
		progressbar.OptionSetWriter(a.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)}
}

// step advances the bar and names the current item.
func (p *progress) step(item string) {
	if p == nil || p.bar == nil {
		return
	}
	p.bar.Describe(p.verb + " " + item)
	_ = p.bar.Add(1) // drawing errors only affect the bar
}

// done clears the bar.
func (p *progress) done() {
	if p == nil || p.bar == nil {
		return
	}
	_ = p.bar.Finish()
}
