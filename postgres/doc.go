// Package postgres is the shared-server statstore backend: a
// statstore.StatsStore kept in a PostgreSQL database (through pgx), so that
// the training and validation jobs of a whole cluster, and the dashboards
// reading them, share one store.
//
// # Semantics
//
// Store follows SPEC §2 exactly, as every backend does (package storetest
// checks it): StoreTrainingStats decides with statstore.PlanTraining,
// StoreValidationIterationScores with statstore.PlanValidation, and
// SubsampleTraining returns exactly what statstore.Subsample returns.
// Extend and overwrite decisions are logged to the injected *slog.Logger
// (overwrites as warnings).
//
// # Schema
//
// Open applies the embedded, versioned migrations (migrations/NNNN_name.sql)
// that the table statstore_schema_migrations does not list yet, in one
// transaction holding a pg_advisory_xact_lock: opening is idempotent, and
// two processes opening a new database at once apply each migration once.
// A database whose schema is newer than this package knows is an error.
//
//	statstore_runs        one row per run: id, name, counters
//	                      (training_count, trained_until, validation_count,
//	                      validated_until) and validation_metadata (json)
//	                      and, for a trashed run (migration 0004, see
//	                      trash.go), trash_id, trashed_name, deleted_at;
//	                      last_write (migration 0005): now() of the run's
//	                      last writing transaction, NULL before it
//	statstore_training_chunks
//	                      (migration 0008, see chunks.go) the training
//	                      history in blocks of at most 280 (320 before
//	                      migration 0010) consecutive
//	                      entries: (run_id, first_iteration) primary key,
//	                      last_iteration (unique per run), entries, step,
//	                      data (bytea: iteration, loss, time as 8 bytes
//	                      big-endian each), crc32c; before migration 0008,
//	                      statstore_training held one row per entry; and
//	                      (migration 0009, see buckets.go) the block's M4
//	                      summary: finite, nan, pos_inf, neg_inf,
//	                      first_non_finite, min_index, max_index, from
//	                      which TrainingBuckets reads a block inside one
//	                      bucket without its data; and (migration 0010)
//	                      entry_crcs (each entry's CRC-32C) and m4_crc32c
//	                      (of the header and M4 columns), which check what
//	                      the stride subsample and TrainingBuckets read
//	                      of a block without reading it whole
//	statstore_training_levels
//	                      (migration 0012, see levels.go) the training
//	                      history summarised at coarser and coarser
//	                      scales: (run_id, level, start) primary key, one
//	                      row per aligned block of 2^8 ... 2^24 iterations
//	                      (levels 1 to 9 of package internal/pyramid),
//	                      record (the block's M4 summary) and crc32c (of
//	                      run_id, level and record); derived from the
//	                      blocks of entries by bucket queries and kept in
//	                      step by overwrites, so that TrainingBuckets reads
//	                      about one row per bucket
//	statstore_run_summaries
//	                      (migration 0007, see summary.go) one row per run:
//	                      run_id, summary (bytea: the history part of its
//	                      statstore.RunSummary), crc32c; written by every
//	                      transaction that writes the run's entries, filled
//	                      in from the histories by Open for runs without one
//	statstore_validation  (run_id, iteration) primary key, scores float8[]
//	                      (the [dataset][parameter set][criterion] array,
//	                      flattened; its shape is the metadata's),
//	                      superseded (migration 0003), scores_crc32c
//	                      (migration 0011, validation.go: scoresCRC)
//
// Training floats are packed as their IEEE 754 bits and validation scores
// are float8 sent in pgx's binary format, so every float64 — NaN with its
// payload bits, ±Inf, -0, subnormals — round-trips bit-exactly.
// Metadata are a json (not jsonb) document that tags numbers with their Go
// type, so parameter values and criterion bounds (±Inf included) come back
// exactly (see metadata.go); strings that are not valid UTF-8 cannot be
// stored and are rejected with statstore.ErrInvalidArgument.
//
// # Writes and concurrency
//
// Each Store call is one transaction: it locks the run's row (created on
// first write), reads the run's counters, decides with the plan, writes new
// entries (training: as blocks, with the counters in one batch;
// validation: with COPY), updates the counters and commits. Writers of one run
// are serialised by the row lock, so two writers can never interleave into a
// mixed history; writers of different runs do not wait for each other. An
// overwrite deletes and rewrites the history in the same transaction:
// readers see the old history or the new one, never a mix. Reads that need
// several queries (validation scores with metadata, the stride subsample)
// run in one read-only repeatable-read transaction.
//
// Appends cost O(new entries): a training append writes one row per 280
// entries (one foreign-key check each), or rewrites a small last block,
// and never reads the history. It takes two round trips (BEGIN with the
// lock, then the blocks and counters with COMMIT; see lockedWrite), or one
// when the Store's previous training write of the run left the row as it
// still is (see fastappend.go: the writes are guarded by the row being
// exactly the remembered one, so a write by anyone else in between sends
// the append the ordinary way). The stride subsample finds the blocks
// holding the first and last entry in range and then, for each of at most
// MaxPoints targets, the block holding the first entry at or after it, by
// seeks in the (run_id, last_iteration) index, and reads that entry's 24
// bytes; its time does not depend on the history's length. The min/max
// mode reads the entries in range.
//
// # Failures
//
// A call that cannot reach the server returns an error saying so, and
// writes nothing. A call interrupted by a lost connection (the server
// stopped or restarted) returns an error; its transaction either committed
// entirely or not at all. A call that failed before anything was sent (a
// pooled connection to a server that has restarted since) is retried on a
// fresh connection, and a broken connection empties the pool, so the first
// call after the server is back succeeds.
//
// Errors are translated at this edge. A server that cannot be reached, a
// lost connection, and server errors a client should retry (shutting down
// or starting up, too many connections, out of memory, a serialization
// failure or deadlock) wrap statstore.ErrUnavailable; a full disk (SQLSTATE
// 53100) wraps statstore.ErrStorageFull; a value the database refuses (a
// data exception or a check constraint) wraps statstore.ErrInvalidArgument.
// Their messages give the server's words without the SQLSTATE code; the
// *pgconn.PgError stays reachable with errors.As. After a lost connection
// a write may have committed: retrying it is safe, as the extend-or-
// overwrite and merge rules make a repeated call store the same data.
// Iterations above statstore.MaxIteration are refused by the domain's
// check before anything is sent (the bigint columns would hold them, but
// trained-until, last iteration + 1, could overflow).
//
// Damage to what the store decodes is a *statstore.CorruptError naming the
// table and run, never a different answer (see checksum.go and the damage
// sweep in sweep_test.go). statstore_runs keeps the CRC-32C of the run's
// name and counters, checked by every read and write of the row (ListRuns
// included), and the CRC-32C of the metadata document's exact bytes,
// checked before every decode (a damaged document stops validation reads
// and writes, not training); reads cross-check the counters with the rows
// they read anyway (a whole training history, the stride subsample's last
// entry, the validation entries), and a validation write refuses when a
// stored scores array does not fit the metadata's shape. Rows written
// before migration 0002 have no checksums (SQL has no CRC-32C to fill them
// in): they read unchecked until the run's next write, which first checks
// its counters against its rows (one count, once) and then stores the
// counters' checksum (the document's with the next validation write).
// Each training block carries the CRC-32C of its header and entries,
// checked whenever it is read whole, and (migration 0010) each entry's
// CRC-32C and one of its header and M4 columns, checked by the reads that
// take a slice or the summary of a block without reading it whole (the
// stride subsample, TrainingBuckets); blocks made by migration 0008 have
// none until rewritten and are checked for their shape. Each validation
// row carries (migration 0011) the CRC-32C of its iteration and scores,
// checked by every read of the row. Rows and blocks written before those
// migrations have NULL there and read as before, their floats left to
// PostgreSQL: run the cluster with page checksums (initdb
// --data-checksums, as internal/pgtest does), and a damaged page is an
// error of the server.
package postgres
