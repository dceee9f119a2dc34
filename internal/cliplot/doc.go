// Package cliplot draws the figures of statstore plot with gonum/plot: a
// Figure is a column of panels (training loss, then one panel per
// validation dataset), each with named series of (x, y) points, rendered as
// PNG or SVG at a size given in pixels.
//
// Axes get round ticks (1, 2, 5 × 10^k, then 2.5 and 4), MinTicks to
// MaxTicks of them, their bounds widened to round values when the data's
// own range would get too few (NiceBounds); a panel's y axis may be
// logarithmic (Panel.LogY, positive values only).
//
// Series may hold NaN and infinite values: lines break there (gonum/plot
// refuses non-finite points), and non-finite values are flagged as the
// dashboard flags them: NaN and +Inf by a mark at the top of the panel,
// −Inf at the bottom, NaN red and ±Inf purple, spanning the x values they
// cover. Panel.Flags adds flags for values the series do not hold (those a
// subsample skipped), so a diverging run stays visible.
package cliplot
