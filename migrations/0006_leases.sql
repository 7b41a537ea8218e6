-- Resource leases (admission control): one row per request, updated as it changes state.
-- Live rows (queued, granted) are restored at start; ended ones answer GET by id for a week.
-- Applied migrations never change: add a new file instead.
CREATE TABLE leases (
    id            TEXT    PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,     -- arrival order, never reused
    holder        TEXT    NOT NULL,
    request_id    TEXT,                        -- the caller's correlation id (HA automations)
    priority      TEXT    NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'critical')),
    state         TEXT    NOT NULL CHECK (state IN ('queued', 'granted', 'released', 'expired',
                                                    'preempted', 'refused', 'timed_out')),
    cpu_milli     INTEGER NOT NULL,            -- thousandths of a core
    memory_mb     INTEGER NOT NULL,
    slots         TEXT    NOT NULL,            -- JSON object: pool name -> count
    ttl_ms        INTEGER NOT NULL,
    created_ms    INTEGER NOT NULL,
    wait_until_ms INTEGER NOT NULL,
    granted_ms    INTEGER,
    expires_ms    INTEGER,
    revoke_ms     INTEGER,                     -- set once preemption was announced
    ended_ms      INTEGER,
    reason        TEXT
);

CREATE INDEX leases_live ON leases (state) WHERE state IN ('queued', 'granted');
CREATE INDEX leases_ended ON leases (ended_ms) WHERE ended_ms IS NOT NULL;
