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
