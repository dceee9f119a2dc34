// Package cliplot draws the figures of statstore plot with gonum/plot: a
// Figure is a column of panels (training loss, then one panel per
// validation dataset), each with named series of (x, y) points, rendered as
// PNG or SVG at a size given in pixels.
//
// Series may hold NaN and infinite values: lines break there (gonum/plot
// refuses non-finite points), and each non-finite y is marked with a red
// cross at the top of its panel, so a diverging run stays visible.
package cliplot
