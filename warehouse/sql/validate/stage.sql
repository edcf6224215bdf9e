-- Type and judge every row of the dataset's pending files (status 'ingested').
-- Template: {table}, {typed_select}, {failed_rules} and {record} are filled from the
-- dataset's contract by data_contracts/rules.py (identifiers and contract-written rule
-- expressions only); every value (allowed lists, patterns, dates, thresholds) is bound.
CREATE OR REPLACE TABLE staged_{table} AS
WITH pending AS (
    -- Parse rejects are counted from quarantine, not from rows_quarantined, which an earlier
    -- staging of the same file (interrupted before promotion) has already raised.
    SELECT f.file_seq, f.rows_read,
           (SELECT count(*) FROM quarantine_rows AS q
            WHERE q.dataset = $dataset AND q.file_seq = f.file_seq AND q.stage = 'parse') AS parse_rejects
    FROM ingest_files AS f
    WHERE f.dataset = $dataset AND f.status = 'ingested'
),
typed AS (
    SELECT {typed_select}, r._file_seq, r._file_sha256, r._path, r._row_number, r._run_id
    FROM raw_{table} AS r
    WHERE r._file_seq IN (SELECT file_seq FROM pending)
),
judged AS (
    SELECT typed.*, {failed_rules} AS failed_rules FROM typed
),
per_file AS (
    SELECT judged.*,
           (count(*) FILTER (WHERE len(failed_rules) > 0) OVER (PARTITION BY judged._file_seq) + p.parse_rejects)
               / greatest(p.rows_read, 1) AS _file_quarantine_rate,
           p.rows_read >= $threshold_min_rows AS _file_large_enough
    FROM judged JOIN pending AS p ON p.file_seq = judged._file_seq
)
SELECT per_file.*,
       _file_quarantine_rate > $threshold AND _file_large_enough AS _file_held,
       CASE WHEN len(failed_rules) > 0 OR (_file_quarantine_rate > $threshold AND _file_large_enough)
            THEN {record} END AS _record
FROM per_file;
