-- Per-block M4 summaries (issue 13, point 3): each row of
-- statstore_training_chunks says what statstore.TrainingBucket needs of
-- its entries beyond what data's first and last entries give, so that
-- TrainingBuckets (buckets.go) reads, for a block inside one bucket, a few
-- small columns and three 24-byte slices of data instead of all of it.
--
--   finite, nan, pos_inf, neg_inf  how many losses are finite, NaN, +Inf,
--                                  -Inf (they add up to entries)
--   first_non_finite               the iteration of the first loss that is
--                                  not finite, -1 for none
--   min_index, max_index           the index in data of the entry with the
--                                  lowest (highest) finite loss, the first
--                                  of equal losses (-0 equals 0); -1 when
--                                  no loss is finite
--
-- Every write of a block computes them (chunks.go, fastappend.go); this
-- migration computes them for the blocks there are, from data, comparing
-- losses by their bits: a finite float8's bits, read as a signed integer
-- with the 63 low bits of a negative one flipped (and -0 read as 0), sort
-- as the floats do.
ALTER TABLE statstore_training_chunks
    ADD COLUMN finite           integer,
    ADD COLUMN nan              integer,
    ADD COLUMN pos_inf          integer,
    ADD COLUMN neg_inf          integer,
    ADD COLUMN first_non_finite bigint,
    ADD COLUMN min_index        smallint,
    ADD COLUMN max_index        smallint;

WITH e AS (
    SELECT c.run_id, c.first_iteration, i,
           ('x' || encode(substring(c.data FROM i * 24 + 1 FOR 8), 'hex'))::bit(64)::bigint AS iteration,
           ('x' || encode(substring(c.data FROM i * 24 + 9 FOR 8), 'hex'))::bit(64)::bigint AS bits
    FROM statstore_training_chunks c, generate_series(0, c.entries - 1) AS i
), k AS (
    SELECT run_id, first_iteration, i, iteration,
           CASE WHEN bits & x'7FF0000000000000'::bigint <> x'7FF0000000000000'::bigint THEN 'f'
                WHEN bits & x'000FFFFFFFFFFFFF'::bigint <> 0 THEN 'n'
                WHEN bits < 0 THEN '-' ELSE '+' END AS kind,
           CASE WHEN bits = x'8000000000000000'::bigint THEN 0
                WHEN bits < 0 THEN bits # x'7FFFFFFFFFFFFFFF'::bigint ELSE bits END AS key
    FROM e
), s AS (
    SELECT run_id, first_iteration,
           count(*) FILTER (WHERE kind = 'f') AS finite,
           count(*) FILTER (WHERE kind = 'n') AS nan,
           count(*) FILTER (WHERE kind = '+') AS pos_inf,
           count(*) FILTER (WHERE kind = '-') AS neg_inf,
           coalesce(min(iteration) FILTER (WHERE kind <> 'f'), -1) AS first_non_finite,
           coalesce((array_agg(i ORDER BY key, i) FILTER (WHERE kind = 'f'))[1], -1) AS min_index,
           coalesce((array_agg(i ORDER BY key DESC, i) FILTER (WHERE kind = 'f'))[1], -1) AS max_index
    FROM k GROUP BY run_id, first_iteration
)
UPDATE statstore_training_chunks c
SET finite = s.finite, nan = s.nan, pos_inf = s.pos_inf, neg_inf = s.neg_inf,
    first_non_finite = s.first_non_finite, min_index = s.min_index, max_index = s.max_index
FROM s WHERE c.run_id = s.run_id AND c.first_iteration = s.first_iteration;

ALTER TABLE statstore_training_chunks
    ALTER COLUMN finite SET NOT NULL,
    ALTER COLUMN nan SET NOT NULL,
    ALTER COLUMN pos_inf SET NOT NULL,
    ALTER COLUMN neg_inf SET NOT NULL,
    ALTER COLUMN first_non_finite SET NOT NULL,
    ALTER COLUMN min_index SET NOT NULL,
    ALTER COLUMN max_index SET NOT NULL;
-- No CHECK ties them to entries: a damaged row must stay readable as damage,
-- which TrainingBuckets reports (a *statstore.CorruptError), as reads do.
