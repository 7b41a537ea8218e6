-- Advice and actions (issue 12). Applied migrations never change: add a new file instead.

-- Every decision about an add-on action, dry runs and refusals included, and later the effect
-- measured after it.
CREATE TABLE advice_actions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms             INTEGER NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('start', 'stop', 'restart')),
    addon             TEXT    NOT NULL,
    origin            TEXT    NOT NULL CHECK (origin IN ('user', 'rule')),
    recommendation_id TEXT,
    reason            TEXT    NOT NULL,
    evidence          TEXT    NOT NULL,            -- JSON list of {label, value, series}
    -- 'pending' while the Supervisor call runs: an attempt cut short by a crash still shows
    -- (and counts towards the cap and the cooldown).
    result            TEXT    NOT NULL CHECK (result IN ('pending', 'done', 'dry_run', 'refused',
                                                         'failed')),
    detail            TEXT,                        -- why dry, why refused, or the error
    estimate_memory   REAL,                        -- bytes the action should free
    estimate_cpu      REAL,                        -- percent of the host it should save
    before_memory     REAL,
    before_cpu        REAL,
    measure_at_ms     INTEGER,                     -- set for actions carried out
    freed_memory      REAL,
    saved_cpu         REAL,
    effective         INTEGER                      -- 1: reached at least half the estimate
);

CREATE INDEX advice_actions_at ON advice_actions (at_ms);
CREATE INDEX advice_actions_unmeasured ON advice_actions (measure_at_ms)
    WHERE measure_at_ms IS NOT NULL AND freed_memory IS NULL AND saved_cpu IS NULL;

-- What the user did with a recommendation; open ones have no row.
CREATE TABLE advice_states (
    id          TEXT    PRIMARY KEY,
    state       TEXT    NOT NULL CHECK (state IN ('snoozed', 'dismissed', 'done')),
    until_ms    INTEGER,                           -- snoozed until
    changed_ms  INTEGER NOT NULL
);

-- Recorder churn: state changes per entity and UTC day, with the bytes they add (estimated).
CREATE TABLE recorder_churn (
    day        INTEGER NOT NULL,                   -- days since 1970-01-01 UTC
    entity_id  TEXT    NOT NULL,
    writes     INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    PRIMARY KEY (day, entity_id)
) WITHOUT ROWID;
