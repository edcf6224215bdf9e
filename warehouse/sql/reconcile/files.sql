-- Every file the warehouse knows: counts that add up (rows_read = rows_accepted +
-- rows_quarantined, none negative), a known status, nothing counted for a file never read
-- (refused or duplicate), and a reason wherever a file was not taken.
SELECT 'file_accounting' AS check_id, dataset, path,
       'rows_read ' || rows_read || ' <> rows_accepted ' || rows_accepted || ' + rows_quarantined '
           || rows_quarantined AS detail
FROM ingest_files
WHERE rows_read <> rows_accepted + rows_quarantined OR least(rows_read, rows_accepted, rows_quarantined) < 0

UNION ALL
SELECT 'file_status', dataset, path, 'unknown status ' || coalesce(status, 'NULL')
FROM ingest_files
WHERE status IS NULL OR status NOT IN ('ingested', 'validated', 'held', 'refused', 'duplicate')

UNION ALL
SELECT 'file_not_read_but_counted', dataset, path, status || ' file counts ' || rows_read || ' row(s) read'
FROM ingest_files
WHERE status IN ('refused', 'duplicate') AND rows_read <> 0

UNION ALL
SELECT 'file_without_reason', dataset, path, status || ' without a reason'
FROM ingest_files
WHERE status IN ('refused', 'duplicate', 'held') AND coalesce(trim(reason), '') = ''

UNION ALL
-- The same bytes are taken once per dataset: a second copy is recorded as a duplicate.
SELECT 'file_taken_twice', dataset, string_agg(path, ' | ' ORDER BY file_seq),
       'sha256 ' || sha256 || ' taken ' || count(*) || ' times (file_seq ' || string_agg(file_seq::VARCHAR, ', ' ORDER BY file_seq) || ')'
FROM ingest_files
WHERE status IN ('ingested', 'validated', 'held')
GROUP BY dataset, sha256
HAVING count(*) > 1

ORDER BY ALL
