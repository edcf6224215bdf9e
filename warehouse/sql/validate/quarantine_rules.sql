-- Rows that failed a rule, and every row of a file over the contract's quarantine threshold,
-- go to quarantine with the rule ids. Re-staging a file (after a crash) replaces its rows.
DELETE FROM quarantine_rows
WHERE dataset = $dataset AND stage = 'rules'
  AND file_seq IN (SELECT DISTINCT _file_seq FROM _staged);

INSERT INTO quarantine_rows
SELECT $dataset, _path, _row_number,
       CASE WHEN _file_held THEN list_append(failed_rules, $threshold_rule) ELSE failed_rules END,
       _record, _file_seq, _file_sha256, _run_id, 'rules', now()::TIMESTAMP
FROM _staged
WHERE len(failed_rules) > 0 OR _file_held;

-- Per-file accounting: rows_read = rows_accepted + rows_quarantined, always.
UPDATE ingest_files AS f
SET rows_quarantined = f.rows_read - s.passing,
    rows_accepted = s.passing,
    status = CASE WHEN s.held THEN 'held' ELSE f.status END,
    reason = CASE WHEN s.held THEN s.reason ELSE f.reason END
FROM (
    SELECT _file_seq,
           count(*) FILTER (WHERE len(failed_rules) = 0 AND NOT _file_held) AS passing,
           bool_or(_file_held) AS held,
           'quarantine rate ' || round(100 * max(_file_quarantine_rate), 1) || '% is over the contract threshold of '
               || round(100 * $threshold, 1) || '%; most frequent rule: '
               || coalesce(mode(failed_rules[1]) FILTER (WHERE len(failed_rules) > 0), 'file parse errors')
               || '. Fix the file at its source and deliver it again' AS reason
    FROM _staged
    GROUP BY _file_seq
) AS s
WHERE f.file_seq = s._file_seq;

-- Files whose every row was rejected by the parser never reach _staged: hold them too when over threshold.
UPDATE ingest_files
SET status = 'held',
    reason = 'every row failed to parse; fix the file at its source and deliver it again'
WHERE dataset = $dataset AND status = 'ingested' AND rows_read > 0 AND rows_accepted = 0
  AND rows_quarantined::DOUBLE / rows_read > $threshold AND rows_read >= $threshold_min_rows;

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
