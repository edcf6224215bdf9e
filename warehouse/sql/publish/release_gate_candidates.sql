-- The hashes of every lookup candidate (privacy_candidates.sql) of the releases in
-- release_gate_memory: a superset, since rows dropped from later releases are not removed.
CREATE TABLE IF NOT EXISTS release_gate_candidates (kind VARCHAR NOT NULL, value_hash UBIGINT NOT NULL);
