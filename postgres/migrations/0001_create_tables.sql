-- Runs: one row per run name. The row is the run's lock: every write to a
-- run's training stats or validation scores locks it first (SELECT ... FOR
-- UPDATE or INSERT ... ON CONFLICT DO UPDATE), so writers of one run are
-- serialised. The counters summarise the run for ListRuns and the
-- extend-or-overwrite decision without reading the history.
CREATE TABLE statstore_runs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text   NOT NULL UNIQUE,
    training_count      bigint NOT NULL DEFAULT 0 CHECK (training_count >= 0),
    trained_until       bigint NOT NULL DEFAULT 0 CHECK (trained_until >= 0),
    validation_count    bigint NOT NULL DEFAULT 0 CHECK (validation_count >= 0),
    validated_until     bigint NOT NULL DEFAULT 0 CHECK (validated_until >= 0),
    -- Datasets, parameter sets and criteria of the validation scores (see
    -- metadata.go for the document); NULL without validation scores. json,
    -- not jsonb, so the document is kept exactly as written.
    validation_metadata json
);

-- Training stats: one row per logged iteration. The primary key is the
-- (run, iteration) index that range reads and the stride subsample seek in.
CREATE TABLE statstore_training (
    run_id    bigint NOT NULL REFERENCES statstore_runs (id) ON DELETE CASCADE,
    iteration bigint NOT NULL CHECK (iteration >= 0),
    loss      float8 NOT NULL,
    time      float8 NOT NULL,
    PRIMARY KEY (run_id, iteration)
);

-- Validation scores: one row per validated checkpoint; scores is the
-- [dataset][parameter set][criterion] array flattened in that order, its
-- shape given by the run's validation_metadata.
CREATE TABLE statstore_validation (
    run_id    bigint   NOT NULL REFERENCES statstore_runs (id) ON DELETE CASCADE,
    iteration bigint   NOT NULL CHECK (iteration >= 0),
    scores    float8[] NOT NULL,
    PRIMARY KEY (run_id, iteration)
);
