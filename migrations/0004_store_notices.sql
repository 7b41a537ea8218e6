-- What happened to the history that users must hear about: a damaged file moved aside, data
-- found missing after a restart. Applied migrations never change: add a new file instead.
CREATE TABLE store_notices (
    id      INTEGER PRIMARY KEY,
    ts_ms   INTEGER NOT NULL,
    kind    TEXT    NOT NULL,   -- moved_aside | lost_data | restored_snapshot
    message TEXT    NOT NULL    -- plain words, with where the old file is and what to do
);
CREATE INDEX store_notices_by_time ON store_notices (ts_ms);
