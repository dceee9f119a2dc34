-- Training summaries at coarser and coarser scales (issue 13, point 3):
-- the levels of package internal/pyramid (aligned blocks of 2^8, 2^10,
-- ... 2^24 iterations; the finest level, 2^6, is not kept here), one row
-- per block, so that 1,000 buckets of a long history read about 1,000
-- small rows, however long it is. See levels.go for the rules.
--
--   level   1 to 9: the block holds iterations
--           [start, start + 2^(6 + 2 * level))
--   start   the block's first iteration (a multiple of its width)
--   record  the block's M4 summary, pyramid.RecordSize bytes as
--           pyramid.AppendRecord writes it (with its own CRC-32C)
--   crc32c  CRC-32C of run_id (8 bytes big-endian), level (2) and record:
--           a row damaged, or moved to another run or level, is a
--           *statstore.CorruptError, not another bucket
--
-- The rows are derived from statstore_training_chunks: a bucket query
-- summarises the entries written since the levels' newest block (the
-- run's row locked FOR SHARE meanwhile, so no write changes the history
-- under it), and a training overwrite deletes the blocks it invalidates
-- and rebuilds the partial ones, in its own transaction. A run without
-- rows here (every run when this migration runs) gets them from its first
-- bucket query wide enough to use them.
CREATE TABLE statstore_training_levels (
    run_id  bigint   NOT NULL REFERENCES statstore_runs (id) ON DELETE CASCADE,
    level   smallint NOT NULL CHECK (level BETWEEN 1 AND 9),
    start   bigint   NOT NULL CHECK (start >= 0),
    record  bytea    NOT NULL,
    crc32c  bigint   NOT NULL CHECK (crc32c BETWEEN 0 AND 4294967295),
    PRIMARY KEY (run_id, level, start)
);
