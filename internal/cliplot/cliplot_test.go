package cliplot

import (
	"bytes"
	"errors"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

func sampleFigure() Figure {
	xs := []float64{0, 1, 2, 3, 4, 5}
	return Figure{ShareX: true, Panels: []Panel{
		{Title: "loss", Series: []Series{
			{X: xs, Y: []float64{5, 4, math.NaN(), 2, math.Inf(1), 1}, Faint: true},
			{Name: "run", X: xs, Y: []float64{5, 4, 3, 2, 1.5, 1}},
		}},
		{Title: "score", LegendBottom: true, Series: []Series{{Name: "p", X: []float64{2, 4}, Y: []float64{0.5, 0.7}, Dash: 1}}},
	}}
}

func TestRenderPNGSize(t *testing.T) {
	for _, size := range [][2]int{{100, 100}, {640, 480}, {333, 777}, {1001, 999}} {
		var b bytes.Buffer
		if err := Render(&b, PNG, sampleFigure(), size[0], size[1]); err != nil {
			t.Fatalf("Render %v: %v", size, err)
		}
		img, err := png.Decode(&b)
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds(); got.Dx() != size[0] || got.Dy() != size[1] {
			t.Errorf("image %dx%d, want %dx%d", got.Dx(), got.Dy(), size[0], size[1])
		}
	}
}

func TestRenderSVG(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, SVG, sampleFigure(), 600, 400); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", `width="450pt"`, "NaN", "±Inf", "score"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestRenderRejects(t *testing.T) {
	tests := []struct {
		name          string
		format        Format
		fig           Figure
		width, height int
	}{
		{"no panels", PNG, Figure{}, 500, 500},
		{"too small", PNG, sampleFigure(), 10, 500},
		{"too large", PNG, sampleFigure(), 500, MaxSize + 1},
		{"unknown format", "gif", sampleFigure(), 500, 500},
		{"ragged series", PNG, Figure{Panels: []Panel{{Series: []Series{{X: []float64{1}, Y: nil}}}}}, 500, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Render(&bytes.Buffer{}, tt.format, tt.fig, tt.width, tt.height)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v, want ErrInvalid", err)
			}
		})
	}
}

func TestSegments(t *testing.T) {
	nan := math.NaN()
	got := segments([]float64{0, 1, 2, 3, 4, 5, 6}, []float64{nan, 1, 2, nan, nan, 5, math.Inf(-1)})
	if len(got) != 2 || len(got[0]) != 2 || got[0][0].X != 1 || len(got[1]) != 1 || got[1][0].X != 5 {
		t.Errorf("segments = %v, want [1 2] and [5]", got)
	}
}

func TestFormatOfPath(t *testing.T) {
	tests := []struct {
		path string
		want Format
		ok   bool
	}{{"a.png", PNG, true}, {"A.SVG", SVG, true}, {"a.gif", "", false}, {"png", "", false}}
	for _, tt := range tests {
		got, err := FormatOfPath(tt.path)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("FormatOfPath(%q) = %q, %v; want %q, ok %v", tt.path, got, err, tt.want, tt.ok)
		}
	}
}

// TestRenderHugeRange draws values whose range overflows a float64 (losses
// of ±1e308, a run at the largest iteration): it must finish, not spin in
// the tick generator.
func TestRenderHugeRange(t *testing.T) {
	f := Figure{Panels: []Panel{{Title: "loss", Series: []Series{
		{Name: "a", X: []float64{0, 1, 2, 9007199254740991}, Y: []float64{1e308, -1e308, math.NaN(), 0}},
	}}}}
	done := make(chan error, 1)
	go func() { done <- Render(io.Discard, PNG, f, 400, 300) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Render does not finish on a range of ±1e308")
	}
}

// TestRenderFlags checks that flags are drawn in the dashboard's colours,
// NaN and ±Inf apart, with legend entries only for the kinds present.
func TestRenderFlags(t *testing.T) {
	line := []Series{{Name: "loss", X: []float64{0, 10, 20}, Y: []float64{1, 2, 3}}}
	tests := []struct {
		name       string
		flags      []Flag
		want, lack []string
	}{
		{"NaN", []Flag{{From: 5, To: 8, Value: math.NaN(), Count: 4}}, []string{"fill:#D1495B", ">NaN<"}, []string{"fill:#7D5BA6", "±Inf"}},
		{"-Inf", []Flag{{From: 5, To: 5, Value: math.Inf(-1), Count: 1}}, []string{"fill:#7D5BA6", "±Inf"}, []string{"fill:#D1495B", ">NaN<"}},
		{"none", nil, nil, []string{"fill:#D1495B", "fill:#7D5BA6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, SVG, Figure{Panels: []Panel{{Title: "l", Series: line, Flags: tt.flags}}}, 400, 300); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !bytes.Contains(b.Bytes(), []byte(w)) {
					t.Errorf("SVG lacks %q", w)
				}
			}
			for _, w := range tt.lack {
				if bytes.Contains(b.Bytes(), []byte(w)) {
					t.Errorf("SVG has %q, want none", w)
				}
			}
		})
	}
}

func TestRenderLogY(t *testing.T) {
	p := Panel{Title: "loss", LogY: true, Series: []Series{{Name: "a", X: []float64{0, 1, 2, 3}, Y: []float64{10, 1, 0.01, math.NaN()}}}}
	var b bytes.Buffer
	if err := Render(&b, SVG, Figure{Panels: []Panel{p}}, 400, 300); err != nil {
		t.Fatalf("log scale of positive values: %v", err)
	}
	for _, tick := range []string{">0.01<", ">0.1<", ">1<", ">10<"} {
		if !bytes.Contains(b.Bytes(), []byte(tick)) {
			t.Errorf("log axis lacks the tick %s", tick)
		}
	}
	p.Series[0].Y[2] = -0.5
	err := Render(&b, SVG, Figure{Panels: []Panel{p}}, 400, 300)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "-0.5") || !strings.Contains(err.Error(), "log scale") {
		t.Errorf("log scale of -0.5: %v, want ErrInvalid naming the value", err)
	}
}

func TestSmoothingWindowGrowsWithPoints(t *testing.T) {
	prev := 0
	for n := 0; n <= 1_000_000; n += 997 {
		w := SmoothingWindow(n)
		if w < 1 || w < prev {
			t.Fatalf("SmoothingWindow(%d) = %d after %d: want >= 1 and growing with n", n, w, prev)
		}
		prev = w
	}
	// At the plot's default of 5,000 points the window averages tens of
	// points, not 2 (DaCapo's n/2500 applied to a subsample).
	if w := SmoothingWindow(5000); w < 20 || w > 5000/20 {
		t.Errorf("SmoothingWindow(5000) = %d, want between 20 and 250", w)
	}
	if w := SmoothingWindow(150); w != 1 {
		t.Errorf("SmoothingWindow(150) = %d, want 1 (too few points to smooth)", w)
	}
}
