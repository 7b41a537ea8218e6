-- The host dimension (ADR 0014). Every series belongs to a host; this box is 'local', so every
-- series stored before hosts existed keeps its id and its history under 'local'. A remote
-- host's series keys carry the host in front ("nas:cpu.usage"), so `key` stays unique.
ALTER TABLE series ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
CREATE INDEX series_by_host ON series (host);
