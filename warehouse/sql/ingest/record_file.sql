INSERT INTO ingest_files (
    file_seq, path, sha256, dataset, file_type, encoding, size_bytes,
    rows_read, rows_accepted, rows_quarantined, status, reason, run_id, as_of, ingested_at
)
VALUES (
    $file_seq, $path, $sha256, $dataset, $file_type, $encoding, $size_bytes,
    $rows_read, $rows_accepted, $rows_quarantined, $status, $reason, $run_id, $as_of, now()::TIMESTAMP
);
