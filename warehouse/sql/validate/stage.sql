-- Type and judge every row of the batch's files (batch_files.sql) by the row rules.
-- Template: {table}, {typed_select}, {columns} (the validated table's columns, lineage last,
-- cast to the contract's types), {failed_rules} and {delivery_failed} are filled from the
-- dataset's contract by data_contracts/rules.py (identifiers and contract-written rule
-- expressions only); every value (allowed lists, patterns, dates, thresholds) is bound.

-- Rules over the whole delivery (window functions, engine duckdb-delivery) first, on a
-- projection of only the columns they name: a window over the full row would sort all of it.
CREATE OR REPLACE TEMP TABLE _delivery_failed AS
WITH typed AS (
    SELECT {typed_select}, r._file_seq, r._file_sha256, r._path, r._row_number, r._run_id
    FROM raw_{table} AS r
    WHERE r._file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset)
)
SELECT _file_seq, _row_number, rules
FROM (SELECT _file_seq, _row_number, {delivery_failed} AS rules FROM typed)
WHERE len(rules) > 0;

-- Only typed columns, lineage and the failed rule ids are stored: the raw record of a row
-- that goes to quarantine is read back from raw_{table} (quarantine_rules.sql), so the wide
-- raw row is never copied. The table is written once (an UPDATE of it inside this
-- transaction would make DuckDB write it all again at COMMIT).
CREATE OR REPLACE TABLE staged_{table} AS
WITH typed AS (
    SELECT {typed_select}, r._file_seq, r._file_sha256, r._path, r._row_number, r._run_id
    FROM raw_{table} AS r
    WHERE r._file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset)
)
SELECT {columns},
       list_concat({failed_rules}, coalesce(d.rules, CAST([] AS VARCHAR[]))) AS failed_rules
FROM typed
LEFT JOIN _delivery_failed AS d ON d._file_seq = typed._file_seq AND d._row_number = typed._row_number;
