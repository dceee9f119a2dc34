// Package storetest is the conformance suite every statstore.StatsStore
// passes: the file store, PostgreSQL, the HTTP client and memstore, the
// in-memory reference. It plays the part testing/fstest.TestFS plays for
// file systems.
//
// Run checks the contract of SPEC §2 and §5 in named subtests, each on a
// fresh store from the caller's open function:
//
//   - Training: extend or overwrite (stored empty, new empty, new ahead —
//     appending only iterations ≥ the stored TrainedUntil, chosen by
//     iteration and not by position — new behind, equal reach, gaps).
//   - Validation: first store, append from the stored validated-until,
//     checkpoints validated late, replace when the stored scores reach
//     further, empty scores, ErrMetadataMismatch on an append with other
//     metadata (nothing written), metadata of every preset round-tripped.
//   - Unknown runs, DeleteTrainingStats, DeleteValidationScores,
//     DeleteRun, ListRuns (sorted byte-wise, with counts and reach, and
//     each run's LastWrite within the times taken around the write, never
//     moving backwards),
//     RetrieveTrainingRange and SubsampleTraining (equal to
//     statstore.Subsample in both modes for many sizes and ranges).
//   - Floats: NaN payloads, ±Inf, -0 and subnormals kept bit-exactly.
//   - Run names: valid unicode and look-alike names kept apart, every
//     invalid name rejected by every method with ErrInvalidRunName.
//   - Bad input: each rejected with the right sentinel error, leaving
//     the stored data exactly as it was.
//   - Aliasing, calls after Close (ErrClosed), and concurrent writers and
//     readers of different runs and of the same run (no call seen in part).
//
// RunModel runs random operation sequences against the store and a
// memstore model and compares every answer. Its seed is logged and
// printed on failure; the environment variables STORETEST_SEED,
// STORETEST_SEQUENCES and STORETEST_OPS override ModelOptions to replay a
// failure or to run longer:
//
//	STORETEST_SEED=1234 STORETEST_SEQUENCES=1 go test ./filestore -run Model
//
// The data constructors (Training, TrainingVersion, Entries, Iters,
// Metadata, Scores, ScoresVersion, IterationScores) are exported for
// backends' own tests. Values of different versions differ, so a test can
// tell which call stored an entry.
//
// The suite makes a few hundred Store calls in all, so that a store that
// syncs every write to disk runs it in seconds.
package storetest
