-- Bookkeeping of the ingest stage: one row per landing file ever seen, and every row that
-- did not make it into a validated table, with the rules it failed.
CREATE SEQUENCE IF NOT EXISTS ingest_file_seq START 1;

CREATE TABLE IF NOT EXISTS ingest_files (
    file_seq          BIGINT PRIMARY KEY,
    path              VARCHAR NOT NULL,   -- relative to the landing root
    sha256            VARCHAR NOT NULL,
    dataset           VARCHAR NOT NULL,
    file_type         VARCHAR,
    encoding          VARCHAR,
    size_bytes        BIGINT,
    rows_read         BIGINT NOT NULL,
    rows_accepted     BIGINT NOT NULL,
    rows_quarantined  BIGINT NOT NULL,
    status            VARCHAR NOT NULL,   -- ingested | validated | held | refused | duplicate
    reason            VARCHAR,
    run_id            VARCHAR,
    as_of             DATE,
    ingested_at       TIMESTAMP NOT NULL,
    validated_at      TIMESTAMP
);

CREATE TABLE IF NOT EXISTS quarantine_rows (
    dataset         VARCHAR NOT NULL,
    path            VARCHAR NOT NULL,
    row_number      BIGINT,
    failed_rules    VARCHAR[] NOT NULL,
    record          JSON,
    file_seq        BIGINT,
    file_sha256     VARCHAR,
    run_id          VARCHAR,
    stage           VARCHAR NOT NULL,     -- parse | rules | gate
    quarantined_at  TIMESTAMP NOT NULL
);

-- The sha256 of each landing file as last hashed, with what identified the file then. A file
-- whose device, inode, size, modification and change times are all unchanged since, and which
-- had not changed for RACY_SECONDS before it was hashed (filesystems with coarse timestamps),
-- is not read again to learn its hash (warehouse/ingest.py: _sha256): a night re-hashed the
-- whole city's 4 GB to find its few new files.
CREATE TABLE IF NOT EXISTS landing_hashes (
    path          VARCHAR PRIMARY KEY,  -- relative to the landing root
    device        UBIGINT NOT NULL,
    inode         UBIGINT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    mtime_ns      BIGINT NOT NULL,
    ctime_ns      BIGINT NOT NULL,
    hashed_at_ns  BIGINT NOT NULL,      -- the clock when the hashing started
    sha256        VARCHAR NOT NULL
);
