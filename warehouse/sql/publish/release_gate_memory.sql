-- What cleared release gates proved (warehouse/gate_memory.py): one row per release the gate cleared
-- since its last full scan, with the sha256 of the manifest it read, the fingerprint of the rules,
-- the shortest and longest complainant name (bytes) whose length the scan kept name keys for, and
-- how many candidate hashes release_gate_candidates held once this release's were added: a lookup
-- needs at least as many still there, so a table emptied or pruned by hand means a full scan.
CREATE TABLE IF NOT EXISTS release_gate_memory (
    release_id VARCHAR NOT NULL,
    manifest_sha256 VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    name_shortest INTEGER,
    name_longest INTEGER,
    full_scan BOOLEAN NOT NULL,
    candidates_total BIGINT NOT NULL,
    remembered_at TIMESTAMP WITH TIME ZONE NOT NULL
);
