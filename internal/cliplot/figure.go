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
		}
	}
	return nil
}
