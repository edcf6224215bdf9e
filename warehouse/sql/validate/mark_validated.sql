-- After promotion: the batch's files are done.
UPDATE ingest_files
SET status = 'validated', validated_at = now()::TIMESTAMP
WHERE dataset = $dataset AND status = 'ingested'
  AND file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset);
DELETE FROM batch_files WHERE dataset = $dataset;
