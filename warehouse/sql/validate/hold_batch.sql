-- The batch failed a blocking expectation: its files are held and every row that would have
-- been accepted goes to quarantine with the failed rule ids, so nothing from it is scored.
INSERT INTO quarantine_rows
SELECT $dataset, _path, _row_number, $failed_rules, {record}, _file_seq, _file_sha256, _run_id, 'gate', now()::TIMESTAMP
FROM staged_{table}
WHERE len(failed_rules) = 0 AND NOT _file_held
  AND _file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset);

UPDATE ingest_files
SET status = 'held',
    rows_quarantined = rows_read,
    rows_accepted = 0,
    reason = $reason
WHERE dataset = $dataset AND status = 'ingested'
  AND file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset);

DELETE FROM batch_files WHERE dataset = $dataset;
