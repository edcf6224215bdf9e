-- Rows that failed a rule, and every row of a file over the contract's quarantine threshold,
-- go to quarantine with the rule ids and their raw record. Re-staging a file (after a crash)
-- replaces its rows. Template: {table} and {record} from the contract.

-- Per file of the batch: rows judged, rows passing, and whether it is held whole. Parse
-- rejects are counted from quarantine, not from rows_quarantined, which an earlier staging
-- of the same file (interrupted before promotion) has already raised.
CREATE OR REPLACE TEMP TABLE _file_verdicts AS
WITH parse AS (
    SELECT file_seq, count(*) AS rejects
    FROM quarantine_rows
    WHERE dataset = $dataset AND stage = 'parse'
      AND file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset)
    GROUP BY file_seq
),
judged AS (
    SELECT _file_seq AS file_seq,
           count(*) AS staged,
           count(*) FILTER (WHERE len(failed_rules) = 0) AS passing,
           count(*) FILTER (WHERE len(failed_rules) > 0) AS failing,
           mode(failed_rules[1]) FILTER (WHERE len(failed_rules) > 0) AS top_rule
    FROM staged_{table}
    GROUP BY _file_seq
),
rated AS (
    SELECT j.file_seq, j.staged, j.passing, j.top_rule,
           (j.failing + coalesce(p.rejects, 0)) / greatest(f.rows_read, 1) AS rate,
           f.rows_read >= $threshold_min_rows AS large_enough
    FROM judged AS j
    JOIN ingest_files AS f ON f.file_seq = j.file_seq
    LEFT JOIN parse AS p ON p.file_seq = j.file_seq
)
SELECT *, rate > $threshold AND large_enough AS held FROM rated;

DELETE FROM quarantine_rows
WHERE dataset = $dataset AND stage = 'rules'
  AND file_seq IN (SELECT file_seq FROM _file_verdicts);

-- The keys first: the join below then reads raw_{table} once, for these rows only.
CREATE OR REPLACE TEMP TABLE _to_quarantine AS
SELECT s._file_seq, s._row_number,
       CASE WHEN v.held THEN list_append(s.failed_rules, $threshold_rule) ELSE s.failed_rules END AS failed_rules
FROM staged_{table} AS s
JOIN _file_verdicts AS v ON v.file_seq = s._file_seq
WHERE len(s.failed_rules) > 0 OR v.held;

INSERT INTO quarantine_rows
SELECT $dataset, r._path, r._row_number, q.failed_rules, {record},
       r._file_seq, r._file_sha256, r._run_id, 'rules', now()::TIMESTAMP
FROM _to_quarantine AS q
JOIN raw_{table} AS r ON r._file_seq = q._file_seq AND r._row_number = q._row_number;

-- Per-file accounting: rows_read = rows_accepted + rows_quarantined, always.
UPDATE ingest_files AS f
SET rows_quarantined = f.rows_read - CASE WHEN v.held THEN 0 ELSE v.passing END,
    rows_accepted = CASE WHEN v.held THEN 0 ELSE v.passing END,
    status = CASE WHEN v.held THEN 'held' ELSE f.status END,
    reason = CASE WHEN v.held
                  THEN 'quarantine rate ' || round(100 * v.rate, 1) || '% is over the contract threshold of '
                       || round(100 * $threshold, 1) || '%; most frequent rule: '
                       || coalesce(v.top_rule, 'file parse errors')
                       || '. Fix the file at its source and deliver it again'
                  ELSE f.reason END
FROM _file_verdicts AS v
WHERE f.file_seq = v.file_seq;

-- Files whose every row was rejected by the parser never reach the staged table: hold them
-- too when over threshold.
UPDATE ingest_files
SET status = 'held',
    reason = 'every row failed to parse; fix the file at its source and deliver it again'
WHERE dataset = $dataset AND status = 'ingested' AND rows_read > 0 AND rows_accepted = 0
  AND rows_quarantined::DOUBLE / rows_read > $threshold AND rows_read >= $threshold_min_rows
  AND file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset);

-- A held file is held whole: its rows that the parser rejected carry the threshold rule too.
UPDATE quarantine_rows
SET failed_rules = list_append(failed_rules, $threshold_rule)
WHERE dataset = $dataset AND stage = 'parse'
  AND NOT list_contains(failed_rules, $threshold_rule)
  AND file_seq IN (
      SELECT file_seq FROM ingest_files
      WHERE dataset = $dataset AND status = 'held'
        AND file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset)
  );
