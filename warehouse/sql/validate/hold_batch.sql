-- The batch failed a blocking expectation: its files are held and every row that would have
-- been accepted goes to quarantine with the failed rule ids and its raw record, so nothing
-- from it is scored. Template: {table}, {batch} (validate.batch_relation) and {record}.
INSERT INTO quarantine_rows
SELECT $dataset, r._path, r._row_number, $failed_rules, {record}, r._file_seq, r._file_sha256, r._run_id, 'gate', now()::TIMESTAMP
FROM ({batch}) AS b
JOIN raw_{table} AS r ON r._file_seq = b._file_seq AND r._row_number = b._row_number;

UPDATE ingest_files
SET status = 'held',
    rows_quarantined = rows_read,
    rows_accepted = 0,
    reason = $reason
WHERE dataset = $dataset AND status = 'ingested'
  AND file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset);

DELETE FROM batch_files WHERE dataset = $dataset;
