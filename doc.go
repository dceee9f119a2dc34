// Package statstore keeps the statistics of machine-learning training runs:
// the loss and step time of every training iteration, and the validation
// scores of every validated checkpoint, shaped [dataset][post-processing
// parameter set][criterion]. It re-implements, and improves on, the stats
// store of DaCapo (dacapo.store.file_stats_store).
//
// This root package is the domain: the values (TrainingStats,
// ValidationScores and their metadata), their rules (training extend or
// overwrite, validation merge by iteration, superseded validations after a
// training rewind: see PlanTraining, PlanValidation and RewindPoint), the
// best report, the StatsStore
// interface every backend implements and the errors they return. It imports
// only the standard library and the project's standard-library-only leaf
// package labeled (labeled N-d arrays, DaCapo's use of xarray).
//
// Backends live in their own packages: filestore (the embedded default,
// crash-safe append-only files; format in docs/format.md), postgres, httpapi
// (a client of statstore serve); package storetest is the conformance suite
// all of them pass. The statstore command in cmd/statstore wires them
// together.
package statstore
