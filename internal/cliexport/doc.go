// Package cliexport writes a run's training stats and validation scores as
// CSV, JSON Lines or Parquet, for statstore export (and any other front end
// that offers downloads).
//
// Training is written as rows iteration, loss, time. Validation is written
// in long form, one row per iteration, dataset, parameter set and
// criterion: iteration, dataset, parameters (the display name), criterion,
// value. JSON Lines instead writes DaCapo's document shapes, one document a
// line: {"iteration", "loss", "time", "run_name"} and {"iteration",
// "scores", "run_name"} with scores nested [dataset][parameter
// set][criterion].
//
// Non-finite values are kept: CSV writes NaN, inf and -inf (what pandas,
// polars and Python's float read); JSON Lines writes the strings "NaN",
// "Infinity" and "-Infinity" (package jsonnan); Parquet stores IEEE doubles.
package cliexport
