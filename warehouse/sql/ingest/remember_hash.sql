INSERT OR REPLACE INTO landing_hashes
VALUES ($path, $device, $inode, $size_bytes, $mtime_ns, $ctime_ns, $hashed_at_ns, $sha256);
