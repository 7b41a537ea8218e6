-- History schema. Applied migrations never change: add a new file instead.

-- Every series ever seen, with what it means.
CREATE TABLE series (
    id            INTEGER PRIMARY KEY,
    key           TEXT    NOT NULL UNIQUE,   -- dotted id, e.g. "disk./data.used_bytes"
    family        TEXT    NOT NULL,          -- id without the instance, e.g. "disk.used_bytes"
    labels        TEXT    NOT NULL,          -- JSON object of labels, e.g. {"mount":"/data"}
    unit          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,          -- gauge | counter
    description   TEXT    NOT NULL,
    first_seen_ms INTEGER NOT NULL
);

-- Raw samples, one row per write batch (time-ordered appends keep SD-card writes small).
-- data: per tick varint(ts delta ms), varint(byte length), then pairs of
-- varint(series id delta) + f32 little-endian value, series ids ascending.
CREATE TABLE raw_batches (
    start_ms INTEGER PRIMARY KEY,
    end_ms   INTEGER NOT NULL,
    ticks    INTEGER NOT NULL,
    data     BLOB    NOT NULL
);

-- One row per series and hour: the hour's min/max/sum/count (1-hour tier) and the
-- 60 minute buckets (1-minute tier, NULL once older than the minute retention).
-- minutes: 60 x (u16 count, f32 min, f32 max, f32 mean), little-endian; count 0 = no data.
CREATE TABLE rollups (
    series_id INTEGER NOT NULL,
    hour      INTEGER NOT NULL,              -- unix seconds at the start of the hour
    count     INTEGER NOT NULL,
    min       REAL    NOT NULL,
    max       REAL    NOT NULL,
    sum       REAL    NOT NULL,
    minutes   BLOB,
    PRIMARY KEY (series_id, hour)
) WITHOUT ROWID;

-- Progress markers of the periodic jobs (e.g. rolled_until_ms).
CREATE TABLE store_state (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
