-- What cleared release gates proved (warehouse/gate_memory.py). release_gate_memory: one row per
-- release the gate cleared since the last full scan, with the manifest's sha256 it read, the
-- fingerprint of the rules, and the shortest and longest complainant name (bytes) whose length
-- the scan kept name keys for. release_gate_candidates: the hashes of every lookup candidate of
-- those releases' rows (a superset: rows dropped since are not removed).
CREATE TABLE IF NOT EXISTS release_gate_memory (
    release_id VARCHAR NOT NULL,
    manifest_sha256 VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    name_shortest INTEGER,
    name_longest INTEGER,
    full_scan BOOLEAN NOT NULL,
    remembered_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE IF NOT EXISTS release_gate_candidates (kind VARCHAR NOT NULL, value_hash UBIGINT NOT NULL);
