package cliplot

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Series is one line of a panel. X and Y have the same length; NaN or
// infinite Y values break the line and are marked.
type Series struct {
	Name  string // legend entry; "" for none
	X, Y  []float64
	Color int  // index into the palette, so related series share a colour
	Faint bool // drawn thin and translucent (raw data behind a smoothed line)
	Dash  int  // 0 solid, else an index into the dash patterns
}

// Panel is one plot of the figure.
type Panel struct {
	Title          string
	XLabel, YLabel string
	Series         []Series
	// LegendBottom puts the legend at the bottom right instead of the top
	// right (for curves that rise).
	LegendBottom bool
	// LogY draws the y axis on a log scale; every finite y must be > 0.
	LogY bool
	// Flags mark non-finite values the series do not hold (those a
	// subsample skipped); non-finite y values of the series are flagged
	// too.
	Flags []Flag
}

// Flag marks x values from From to To whose y is Value: NaN or +Inf
// (flagged at the top of the panel) or −Inf (at the bottom), as the
// dashboard flags them; Count is how many values (0 for one).
type Flag struct {
	From, To float64
	Value    float64
	Count    int
}

// Figure is a column of panels sharing the width of the image.
type Figure struct {
	Panels []Panel
	// ShareX gives every panel the same x range: that of all their data.
	ShareX bool
}

// Format is an image format.
type Format string

// The image formats.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// Size limits, in pixels.
const (
	MinSize = 100
	MaxSize = 20000
)

// ErrInvalid is wrapped by every error about a bad figure, format or size.
var ErrInvalid = errors.New("invalid plot request")

// FormatOfPath returns the format named by a file's extension.
func FormatOfPath(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	}
	return "", fmt.Errorf("output %q: want a .png or .svg file name: %w", path, ErrInvalid)
}

// Validate reports a figure that cannot be drawn.
func (f Figure) Validate() error {
	if len(f.Panels) == 0 {
		return fmt.Errorf("nothing to plot: %w", ErrInvalid)
	}
	for _, p := range f.Panels {
		for _, s := range p.Series {
			if len(s.X) != len(s.Y) {
				return fmt.Errorf("series %q has %d x and %d y values: %w", s.Name, len(s.X), len(s.Y), ErrInvalid)
			}
			if !p.LogY {
				continue
			}
			for i, y := range s.Y {
				if finite(y) && y <= 0 {
					return fmt.Errorf("panel %q: series %q has y = %g at x = %g: a log scale shows only values > 0: %w", p.Title, s.Name, y, s.X[i], ErrInvalid)
				}
			}
		}
		for _, fl := range p.Flags {
			if finite(fl.Value) || !finite(fl.From) || !finite(fl.To) || fl.To < fl.From {
				return fmt.Errorf("panel %q: flag %+v: want NaN, +Inf or -Inf over finite From <= To: %w", p.Title, fl, ErrInvalid)
			}
		}
	}
	return nil
}

// SmoothingWindow returns the default moving-average window for a loss
// curve of n points: n/100, at least 1. Like DaCapo's plot (n/2500 over a
// run's whole history) it grows linearly with the number of points, so the
// smoothed curve has the same detail whatever the length; it is computed
// on a subsample of at most a few thousand points, not on the whole
// history, where DaCapo's n/2500 would average 2 points of 5,000 (noise),
// so it spans 1% of the points instead: about 100 independent values
// across the plot, each the mean of n/100 points (at 5,000 points, 50:
// noise down √50 ≈ 7×). Spikes stay visible in the raw min/max curve drawn
// faintly behind.
func SmoothingWindow(n int) int {
	return max(1, n/100)
}
