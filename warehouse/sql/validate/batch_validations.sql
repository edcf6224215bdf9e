CREATE TABLE IF NOT EXISTS batch_validations (
    dataset          VARCHAR,
    run_id           VARCHAR,
    as_of            DATE,
    validated_at     TIMESTAMP,
    success          BOOLEAN,
    rows_in_batch    BIGINT,
    files            VARCHAR[],
    held_files       VARCHAR[],
    failed_rules     VARCHAR[],
    results          JSON,
    docs_path        VARCHAR
);
