// Package memstore is an in-memory statstore.StatsStore: the reference
// implementation of the store rules and the model that package storetest
// checks other backends against.
//
// A Store keeps everything in maps guarded by one mutex, so it is safe for
// concurrent use and every call is atomic. It decides every write with
// statstore.PlanTraining and statstore.PlanValidation and answers plot
// retrievals with statstore.Subsample, so it follows the rules by
// construction. It copies values in and out: a caller can neither change
// stored data through a slice it passed to a Store call nor through one it
// got back. Nothing survives the process; use package filestore to keep
// statistics.
package memstore
