-- Soft delete (statstore.Trasher): a trashed run keeps its row and its
-- entries, and leaves the name space of live runs. Its name becomes its
-- trash id behind U+0001, a control character that no run name may hold
-- (statstore.ValidateRunName), so every query by name misses it and the
-- name is free for a new run; trashed_name keeps the name it had. Restoring
-- gives it a live name back; purging deletes the row (the entries go by
-- ON DELETE CASCADE). counters_crc32c always covers the row's current name.
--
-- Existing rows get NULL in the three columns: live, as they were. The
-- columns have no default, so PostgreSQL adds them without rewriting the
-- table.
ALTER TABLE statstore_runs
    ADD COLUMN trash_id text UNIQUE,
    ADD COLUMN trashed_name text,
    ADD COLUMN deleted_at timestamptz,
    ADD CONSTRAINT statstore_runs_trash_columns CHECK (
        (trash_id IS NULL) = (deleted_at IS NULL) AND (trash_id IS NULL) = (trashed_name IS NULL));
