-- Training stats in chunks (issue 12, point 4): one row per block of
-- consecutive entries instead of one row per entry, so that an append
-- writes one or a few rows (with one foreign-key check each) however many
-- entries it adds, as the file store appends one block. See chunks.go for
-- the layout and the rules.
--
--   first_iteration, last_iteration  the block's first and last iteration
--   entries                          how many entries it holds (≥ 1)
--   step                             the common difference of its
--                                    iterations when there is one and the
--                                    block holds at least 2 entries, else 0
--                                    (lets the stride subsample compute an
--                                    entry's offset without reading the block)
--   data                             entries × 24 bytes: iteration (int8),
--                                    loss and time (float8 bits), each
--                                    8 bytes big-endian, as int8send and
--                                    float8send give them
--   crc32c                           CRC-32C of the header and data (see
--                                    chunks.go); NULL for blocks made by
--                                    this migration (SQL has no CRC-32C),
--                                    until the block is next rewritten
--
-- A block holds at most 320 entries (7,680 bytes), so that a row fits in
-- one 8 KiB page; toast_tuple_target = 8160 keeps such rows whole in the
-- table (by default PostgreSQL moves any value making a row longer than
-- 2 KiB to the TOAST table, in 2 KiB slices read back through an index)
-- and STORAGE EXTERNAL keeps data uncompressed (packed floats barely
-- compress, and the stride subsample reads a 24-byte slice of it).
CREATE TABLE statstore_training_chunks (
    run_id          bigint  NOT NULL REFERENCES statstore_runs (id) ON DELETE CASCADE,
    first_iteration bigint  NOT NULL CHECK (first_iteration >= 0),
    last_iteration  bigint  NOT NULL CHECK (last_iteration >= first_iteration),
    entries         integer NOT NULL CHECK (entries >= 1),
    step            bigint  NOT NULL CHECK (step >= 0),
    data            bytea   NOT NULL,
    crc32c          bigint  CHECK (crc32c BETWEEN 0 AND 4294967295),
    PRIMARY KEY (run_id, first_iteration)
);
ALTER TABLE statstore_training_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE statstore_training_chunks SET (toast_tuple_target = 8160);
-- The stride subsample's probe: the first block whose last iteration is at
-- or after a target holds the first entry at or after it.
CREATE UNIQUE INDEX statstore_training_chunks_last ON statstore_training_chunks (run_id, last_iteration);

-- Existing histories move into blocks of 320 entries, in iteration order,
-- in this migration's transaction: about 5 s per million entries on a
-- 2-core test machine under load, during which other processes opening the
-- store wait for the migration lock.
INSERT INTO statstore_training_chunks (run_id, first_iteration, last_iteration, entries, step, data)
SELECT run_id, min(iteration), max(iteration), count(*)::integer,
       CASE WHEN count(*) >= 2 AND min(diff) = max(diff) THEN min(diff) ELSE 0 END,
       string_agg(int8send(iteration) || float8send(loss) || float8send(time), ''::bytea ORDER BY iteration)
FROM (
    SELECT run_id, block, iteration, loss, time,
           iteration - lag(iteration) OVER (PARTITION BY run_id, block ORDER BY iteration) AS diff
    FROM (
        SELECT run_id, iteration, loss, time,
               (row_number() OVER (PARTITION BY run_id ORDER BY iteration) - 1) / 320 AS block
        FROM statstore_training
    ) numbered
) t
GROUP BY run_id, block;

DROP TABLE statstore_training;
