package cliplot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// dpi is the resolution of PNG output: sizes are given in pixels.
const dpi = 96

// Render draws f as an image of width × height pixels in format format.
func Render(w io.Writer, format Format, f Figure, width, height int) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if width < MinSize || height < MinSize || width > MaxSize || height > MaxSize {
		return fmt.Errorf("size %d×%d pixels: want each side between %d and %d: %w", width, height, MinSize, MaxSize, ErrInvalid)
	}
	plots := make([][]*plot.Plot, len(f.Panels))
	for i, p := range f.Panels {
		pl, err := buildPlot(p)
		if err != nil {
			return err
		}
		plots[i] = []*plot.Plot{pl}
	}
	if f.ShareX {
		shareX(plots)
	}
	// Lengths in points; a pixel is 72/dpi points.
	wl, hl := vg.Length(width)*72/dpi, vg.Length(height)*72/dpi
	var canvas vg.CanvasWriterTo
	switch format {
	case PNG:
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wl, hl), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))}
	case SVG:
		canvas = vgsvg.New(wl, hl)
	default:
		return fmt.Errorf("image format %q: want png or svg: %w", format, ErrInvalid)
	}
	dc := draw.New(canvas)
	if format == SVG {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	if _, err := canvas.WriteTo(w); err != nil {
		return fmt.Errorf("write %s image: %w", format, err)
	}
	return nil
}

// buildPlot makes one panel's plot: lines broken at non-finite values,
// which are marked with red crosses at the top.
func buildPlot(p Panel) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	pl.Legend.Top = !p.LegendBottom
	pl.X.Tick.Marker = plainTicks{}
	pl.Y.Tick.Marker = plainTicks{}
	pl.Add(plotter.NewGrid())
	top := math.Inf(-1)
	for _, s := range p.Series {
		for _, y := range s.Y {
			if finite(y) && y > top {
				top = y
			}
		}
	}
	var bad plotter.XYs
	for _, s := range p.Series {
		style := lineStyle(s)
		var legendLine *plotter.Line
		for _, seg := range segments(s.X, s.Y) {
			l, err := plotter.NewLine(seg)
			if err != nil {
				return nil, fmt.Errorf("series %q: %w", s.Name, err)
			}
			l.LineStyle = style
			pl.Add(l)
			if legendLine == nil {
				legendLine = l
			}
		}
		for i, y := range s.Y {
			if !finite(y) && finite(s.X[i]) && !math.IsInf(top, -1) {
				bad = append(bad, plotter.XY{X: s.X[i], Y: top})
			}
		}
		if s.Name != "" && legendLine != nil {
			pl.Legend.Add(s.Name, legendLine)
		}
	}
	if len(bad) > 0 {
		sc, err := plotter.NewScatter(bad)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{R: 214, G: 39, B: 40, A: 255}, Radius: vg.Points(3), Shape: draw.CrossGlyph{}}
		pl.Add(sc)
		pl.Legend.Add("NaN / Inf", sc)
	}
	return pl, nil
}

// plainTicks are gonum's default ticks labelled without trailing zeros
// ("2500", not "2500.00").
type plainTicks struct{}

// Ticks implements plot.Ticker. A range whose width overflows a float64
// (losses of ±1e308) gets its two ends as ticks: gonum's default ticker
// would not finish on it.
func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	if !finite(hi - lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 3, 64)}, {Value: hi, Label: strconv.FormatFloat(hi, 'g', 3, 64)}}
	}
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
	}
	return ticks
}

// shareX sets every plot's x range to the union of their ranges.
func shareX(plots [][]*plot.Plot) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range plots {
		lo, hi = math.Min(lo, row[0].X.Min), math.Max(hi, row[0].X.Max)
	}
	if lo > hi {
		return
	}
	for _, row := range plots {
		row[0].X.Min, row[0].X.Max = lo, hi
	}
}

// segments splits a series into runs of finite points.
func segments(xs, ys []float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range xs {
		if !finite(xs[i]) || !finite(ys[i]) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: xs[i], Y: ys[i]})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func lineStyle(s Series) draw.LineStyle {
	c := paletteColor(s.Color)
	st := draw.LineStyle{Color: c, Width: vg.Points(1.5)}
	if s.Faint {
		r, g, b, _ := c.RGBA()
		st.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 70}
		st.Width = vg.Points(0.75)
	}
	if s.Dash > 0 {
		dashes := [][]vg.Length{{vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}
		st.Dashes = dashes[(s.Dash-1)%len(dashes)]
	}
	return st
}

// paletteColor returns colour i of a ten-colour qualitative palette
// (matplotlib's tab10).
func paletteColor(i int) color.RGBA {
	p := [...]color.RGBA{
		{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
		{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
	}
	if i < 0 {
		i = -i
	}
	return p[i%len(p)]
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
