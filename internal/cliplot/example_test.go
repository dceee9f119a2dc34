package cliplot_test

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/statstore/statstore/internal/cliplot"
)

// A loss curve with a NaN (the line breaks there and the point is marked),
// rendered as SVG.
func ExampleRender() {
	fig := cliplot.Figure{Panels: []cliplot.Panel{{
		Title: "training loss", XLabel: "iteration", YLabel: "loss",
		Series: []cliplot.Series{{Name: "my_run", X: []float64{0, 1, 2, 3}, Y: []float64{1, 0.5, math.NaN(), 0.25}}},
	}}}
	var b bytes.Buffer
	if err := cliplot.Render(&b, cliplot.SVG, fig, 600, 400); err != nil {
		panic(err)
	}
	fmt.Println(strings.Contains(b.String(), "<svg"), strings.Contains(b.String(), "training loss"))

	err := cliplot.Render(&b, cliplot.SVG, fig, 10, 400)
	fmt.Println(err)
	// Output:
	// true true
	// size 10×400 pixels: want each side between 100 and 20000: invalid plot request
}
