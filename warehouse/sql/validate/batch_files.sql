-- The files that make up this staging of the dataset (including files with no rows left).
CREATE TABLE IF NOT EXISTS batch_files (dataset VARCHAR, file_seq BIGINT, run_id VARCHAR);
DELETE FROM batch_files WHERE dataset = $dataset;
INSERT INTO batch_files
SELECT dataset, file_seq, $run_id FROM ingest_files WHERE dataset = $dataset AND status = 'ingested';
