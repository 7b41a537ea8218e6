-- "Is the system responsive and efficient?" votes from the dashboard.
-- Applied migrations never change: add a new file instead.
CREATE TABLE feedback (
    id        INTEGER PRIMARY KEY,
    ts_ms     INTEGER NOT NULL,
    voter     TEXT    NOT NULL,              -- random per-browser id from an HttpOnly cookie
    vote      INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    comment   TEXT,                          -- optional, at most 1000 characters
    metrics   TEXT    NOT NULL               -- JSON: key metrics at the moment of the vote
);

CREATE INDEX feedback_by_time ON feedback (ts_ms);
CREATE INDEX feedback_by_voter ON feedback (voter, ts_ms);
