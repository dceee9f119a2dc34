-- Run summaries (issue 15, statstore.Summarizer): one row per run holding
-- what listing the run shows without reading its history, the part of
-- statstore.RunSummary that depends on the history (losses, best values,
-- health flags) as a small binary document (see summary.go for its
-- layout), and the CRC-32C of its bytes. The counters
-- and last_write come from statstore_runs (checked by counters_crc32c),
-- the tags and metadata digest from run_meta. Every transaction that
-- writes a run's entries writes its summary too; deleting the run's row
-- deletes it (ON DELETE CASCADE), trashing and restoring keep it with the
-- row.
--
-- This migration only creates the table: Open fills in the summaries of
-- the runs that have none by recomputing them from their histories, in
-- the migration's transaction, after every migration is applied (so a
-- database at 0006 or at 0008 gets them alike, from the chunked history).
CREATE TABLE statstore_run_summaries (
    run_id  bigint PRIMARY KEY REFERENCES statstore_runs (id) ON DELETE CASCADE,
    summary bytea  NOT NULL,
    crc32c  bigint NOT NULL CHECK (crc32c BETWEEN 0 AND 4294967295)
);
