-- Training summaries at coarser and coarser scales (issue 13, point 3):
-- the levels of package internal/pyramid (aligned blocks of 2^8, 2^10,
-- ... 2^24 iterations; the finest level, 2^6, is not kept here), so that
-- 1,000 buckets of a long history read about 1,000 block summaries from
-- some 60 rows, however long it is. See levels.go for the rules.
--
--   level    1 to 9: the row's blocks are of 2^(6 + 2 * level) iterations
--   start    a multiple of 16 blocks' width: the row holds the blocks
--            that start in [start, start + 16 * 2^(6 + 2 * level))
--   records  their M4 summaries, 1 to 16 records in iteration order,
--            pyramid.RecordSize bytes each as pyramid.AppendRecord writes
--            them (each with its own CRC-32C)
--   crc32c   CRC-32C of run_id (8 bytes big-endian), level (2) and
--            records: a row damaged, or moved to another run or level, is
--            a *statstore.CorruptError, not another bucket
--
-- The rows are derived from statstore_training_chunks: a bucket query
-- summarises the entries written since the levels' newest block (the
-- run's row locked meanwhile, so no write changes the history under it),
-- and a training overwrite removes the blocks it invalidates and rebuilds
-- the partial ones, in its own transaction. A run without rows here
-- (every run when this migration runs) gets them from its first bucket
-- query wide enough to use them.
--
-- Rows hold up to 2,176 bytes of records: STORAGE EXTERNAL and
-- toast_tuple_target = 8160 keep them whole and uncompressed in the
-- table's pages (as statstore_training_chunks, migration 0008).
CREATE TABLE statstore_training_levels (
    run_id   bigint   NOT NULL REFERENCES statstore_runs (id) ON DELETE CASCADE,
    level    smallint NOT NULL CHECK (level BETWEEN 1 AND 9),
    start    bigint   NOT NULL CHECK (start >= 0),
    records  bytea    NOT NULL,
    crc32c   bigint   NOT NULL CHECK (crc32c BETWEEN 0 AND 4294967295),
    PRIMARY KEY (run_id, level, start)
);
ALTER TABLE statstore_training_levels ALTER COLUMN records SET STORAGE EXTERNAL;
ALTER TABLE statstore_training_levels SET (toast_tuple_target = 8160);
