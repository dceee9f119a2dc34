-- Checksums for what reads take out of a block without reading it whole
-- (integrity: nothing is answered unverified). The block's crc32c covers
-- its header and data, but the stride subsample reads one 24-byte entry
-- of data and TrainingBuckets reads a block's M4 summary columns and four
-- of its entries; until now those were checked for consistency only.
--
--   entry_crcs  the CRC-32C of each 24-byte entry of data, 4 bytes
--               big-endian each (entries × 4 bytes): a read of entry k
--               reads bytes k*4 .. k*4+3 with it and checks them
--   m4_crc32c   the CRC-32C of the block's header (first_iteration,
--               last_iteration, entries, step) and its M4 columns (see
--               chunks.go, m4CRC)
--
-- Blocks written before this migration have NULL in both (SQL has no
-- CRC-32C): their slices and summaries are read checked for consistency
-- only, as before, until the block is next rewritten; every block written
-- from now on has them, and readers check them.
ALTER TABLE statstore_training_chunks
    ADD COLUMN entry_crcs bytea,
    ADD COLUMN m4_crc32c  bigint CHECK (m4_crc32c BETWEEN 0 AND 4294967295),
    ADD CONSTRAINT statstore_training_chunks_entry_crcs_length
        CHECK (entry_crcs IS NULL OR octet_length(entry_crcs) = entries * 4);
