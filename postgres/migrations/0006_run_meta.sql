-- Run metadata (statstore.RunMetaStore): a run's configuration and tags,
-- as one JSON document {"config": {...}, "tags": {...}} (the payload of
-- the file store's metadata file, see runmeta.go), kept as text so that
-- its bytes are exactly those written, and the CRC-32C (Castagnoli) of
-- those bytes, checked by every read and write of the metadata like
-- validation_metadata_crc32c (checksum.go). Both NULL when the run has
-- no metadata. A row with metadata and no entries is a live run (listed
-- with zero counts); a trashed row keeps its metadata, so trash and
-- restore carry them with the run, and deleting the row deletes them.
--
-- Existing rows get NULL in both: no metadata. The columns have no
-- default, so PostgreSQL adds them without rewriting the table.
ALTER TABLE statstore_runs
    ADD COLUMN run_meta text,
    ADD COLUMN run_meta_crc32c bigint
        CHECK (run_meta_crc32c BETWEEN 0 AND 4294967295),
    ADD CONSTRAINT statstore_runs_run_meta_checksum CHECK ((run_meta IS NULL) = (run_meta_crc32c IS NULL));
