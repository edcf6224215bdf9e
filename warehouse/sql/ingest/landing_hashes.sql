-- What was remembered of the dataset's landing files when they were last hashed.
SELECT path, device, inode, size_bytes, mtime_ns, ctime_ns, hashed_at_ns, sha256
FROM landing_hashes
WHERE starts_with(path, $dataset || '/');
