package cliplot

import (
	"fmt"
	"image/color"
	"io"
	"math"

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
	for i, row := range plots {
		niceAxes(row[0], f.Panels[i].LogY)
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
// which are flagged (see Flag) with the panel's Flags, and round ticks.
func buildPlot(p Panel) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	pl.Legend.Top = !p.LegendBottom
	pl.X.Tick.Marker = niceTicks{}
	pl.Y.Tick.Marker = niceTicks{}
	pl.Add(plotter.NewGrid())
	flags := append([]Flag(nil), p.Flags...)
	hasData := false
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
			hasData = true
			if legendLine == nil {
				legendLine = l
			}
		}
		if len(p.Flags) == 0 {
			for i, y := range s.Y {
				if !finite(y) && finite(s.X[i]) {
					flags = append(flags, Flag{From: s.X[i], To: s.X[i], Value: y, Count: 1})
				}
			}
		}
		if s.Name != "" && legendLine != nil {
			pl.Legend.Add(s.Name, legendLine)
		}
	}
	if p.LogY && hasData {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = logTicks{}
	}
	if len(flags) > 0 {
		fm := flagMarks(flags)
		pl.Add(fm)
		if fm.has(func(v float64) bool { return math.IsNaN(v) }) {
			pl.Legend.Add("NaN", flagThumb{flagColor(math.NaN())})
		}
		if fm.has(func(v float64) bool { return math.IsInf(v, 0) }) {
			pl.Legend.Add("±Inf (+ top, − bottom)", flagThumb{flagColor(math.Inf(1))})
		}
	}
	return pl, nil
}

// flagColor returns the colour of a flag of v, the dashboard's: NaN red,
// ±Inf purple.
func flagColor(v float64) color.RGBA {
	if math.IsNaN(v) {
		return color.RGBA{R: 209, G: 73, B: 91, A: 255}
	}
	return color.RGBA{R: 125, G: 91, B: 166, A: 255}
}

// flagMarks draws flags as the dashboard does: a bar over the x values a
// flag covers at the top of the panel (NaN, +Inf) or at its bottom (−Inf),
// with a triangle pointing into the plot at its start. It does not change
// the panel's ranges.
type flagMarks []Flag

func (fm flagMarks) has(kind func(float64) bool) bool {
	for _, f := range fm {
		if kind(f.Value) {
			return true
		}
	}
	return false
}

// Plot implements plot.Plotter.
func (fm flagMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	bar, tri := vg.Points(3), vg.Points(5)
	for _, f := range fm {
		if f.To < p.X.Min || f.From > p.X.Max {
			continue
		}
		x0, x1 := trX(math.Max(f.From, p.X.Min)), trX(math.Min(f.To, p.X.Max))
		col := flagColor(f.Value)
		edge, dir := c.Max.Y, vg.Length(-1) // top, pointing down
		if math.IsInf(f.Value, -1) {
			edge, dir = c.Min.Y, 1
		}
		c.SetColor(col)
		var r vg.Path
		r.Move(vg.Point{X: x0 - tri/2, Y: edge})
		r.Line(vg.Point{X: x1 + tri/2, Y: edge})
		r.Line(vg.Point{X: x1 + tri/2, Y: edge + dir*bar})
		r.Line(vg.Point{X: x0 + tri/2, Y: edge + dir*bar})
		r.Line(vg.Point{X: x0, Y: edge + dir*(bar+tri*1.4)})
		r.Line(vg.Point{X: x0 - tri/2, Y: edge + dir*bar})
		r.Close()
		c.Fill(r)
	}
}

// flagThumb is a flag's legend entry: a square of its colour.
type flagThumb struct{ c color.Color }

// Thumbnail implements plot.Thumbnailer.
func (t flagThumb) Thumbnail(c *draw.Canvas) {
	c.SetColor(t.c)
	c.Fill(c.Rectangle.Path())
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

// niceAxes widens each axis of pl to round bounds when its own range would
// get too few or too many round ticks (see NiceBounds, LogBounds).
func niceAxes(pl *plot.Plot, logY bool) {
	pl.X.Min, pl.X.Max = NiceBounds(pl.X.Min, pl.X.Max)
	if _, ok := pl.Y.Scale.(plot.LogScale); ok && logY {
		pl.Y.Min, pl.Y.Max = LogBounds(pl.Y.Min, pl.Y.Max)
		return
	}
	pl.Y.Min, pl.Y.Max = NiceBounds(pl.Y.Min, pl.Y.Max)
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
