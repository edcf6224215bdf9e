-- What the warehouse already knows of each landing file: by path + hash, and by hash alone.
SELECT path, sha256, status FROM ingest_files WHERE dataset = $dataset
