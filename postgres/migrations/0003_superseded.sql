-- Superseded validations (SPEC §2, "Validation after a training rewind"):
-- when a training replace rewinds the run, the validations of checkpoints
-- after the rewind point are marked superseded, in the same transaction,
-- until a merge validates that iteration again (which clears the mark).
--
-- superseded_count counts the run's marked rows. It is one of the counters
-- that counters_crc32c covers (see checksum.go: appended to the checksummed
-- bytes only when it is not zero, so the checksums of rows written before
-- this migration stay valid), and whole validation reads cross-check it
-- with the marks they read: a flipped mark is an error, not a checkpoint
-- silently back in (or out of) the best report.
--
-- Both columns have constant defaults: PostgreSQL (11 and later) adds them
-- without rewriting the tables, and every existing row reads as current
-- (false, 0).
ALTER TABLE statstore_validation
    ADD COLUMN superseded boolean NOT NULL DEFAULT false;

ALTER TABLE statstore_runs
    ADD COLUMN superseded_count bigint NOT NULL DEFAULT 0
        CHECK (superseded_count >= 0 AND superseded_count <= validation_count);
