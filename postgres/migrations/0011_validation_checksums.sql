-- A checksum per validation row (integrity: a damaged score is an error,
-- never a different best checkpoint). scores_crc32c is the CRC-32C of the
-- row's iteration and scores (see validation.go, scoresCRC): every read of
-- the row checks it, every write sets it. Not covered: the superseded
-- mark, which a training rewind sets in SQL; whole reads count the marks
-- against statstore_runs.superseded_count (see checksum.go).
--
-- Rows written before this migration have NULL (SQL has no CRC-32C): they
-- are read as before, their floats left to PostgreSQL's page checksums,
-- until the row is next written.
ALTER TABLE statstore_validation
    ADD COLUMN scores_crc32c bigint CHECK (scores_crc32c BETWEEN 0 AND 4294967295);
