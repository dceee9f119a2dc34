-- Checksums of what statstore_runs holds and readers trust without reading
-- the history (see checksum.go): the CRC-32C (Castagnoli) of the run's
-- name and four counters, and the CRC-32C of the exact bytes of the
-- validation metadata document. Every write of the run writes them and
-- every read checks them; a mismatch is a *statstore.CorruptError naming
-- the table and run.
--
-- Rows written before this migration get NULL: SQL has no CRC-32C to fill
-- them in here. Such a row reads as before (counters and document
-- unchecked) until the run's next write, which first checks the counters
-- against the run's rows (once, counting them) and then stores their
-- checksum; the next validation write stores the document's checksum.
ALTER TABLE statstore_runs
    ADD COLUMN counters_crc32c bigint
        CHECK (counters_crc32c BETWEEN 0 AND 4294967295),
    ADD COLUMN validation_metadata_crc32c bigint
        CHECK (validation_metadata_crc32c BETWEEN 0 AND 4294967295);
