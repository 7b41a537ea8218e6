-- Alert incidents. Applied migrations never change: add a new file instead.
-- (Numbered 0003 so that a 0002 from another branch can land without a clash.)

-- One row per firing episode of one rule and target, written on transitions only (fired,
-- escalated, de-escalated, acknowledged, resolved) and once at shutdown, never per tick.
CREATE TABLE alert_incidents (
    id               INTEGER PRIMARY KEY,  -- assigned by the engine (reserved when pending)
    rule             TEXT    NOT NULL,     -- rule name, e.g. "disk_used_percent"
    series           TEXT    NOT NULL,     -- e.g. "disk./data.used_percent"
    target           TEXT    NOT NULL,     -- instance, e.g. "/data"; '' for host-wide metrics
    label            TEXT    NOT NULL,     -- plain words, e.g. "Space used on /data"
    unit             TEXT    NOT NULL,     -- as in series.unit
    level            TEXT    NOT NULL,     -- warn | critical: current, or at the end
    peak_level       TEXT    NOT NULL,     -- worst level reached
    severity         TEXT    NOT NULL,     -- info | warning | error | critical, at peak_level
    threshold        REAL    NOT NULL,     -- threshold of level
    pending_ms       INTEGER NOT NULL,     -- value first past the threshold
    fired_ms         INTEGER NOT NULL,
    resolved_ms      INTEGER,              -- NULL while firing
    resolution       TEXT,                 -- recovered | no_data | rule_removed
    acknowledged_ms  INTEGER,
    ack_note         TEXT,
    peak             REAL    NOT NULL,     -- worst single value (window that fired it, and since)
    value            REAL    NOT NULL,     -- mean judged at the latest transition
    notifications    INTEGER NOT NULL,     -- 0: kept quiet by a cooldown
    last_notified_ms INTEGER
);

CREATE INDEX alert_incidents_by_fired ON alert_incidents (fired_ms);
CREATE INDEX alert_incidents_open ON alert_incidents (id) WHERE resolved_ms IS NULL;
