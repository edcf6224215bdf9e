-- Records the reader could not parse keep their raw text in quarantine: nothing read is lost.
INSERT INTO quarantine_rows
SELECT $dataset, $path, _row_number, [$dataset || '.' || rule], record,
       $file_seq, $sha256, $run_id, 'parse', now()::TIMESTAMP
FROM _rejects;
