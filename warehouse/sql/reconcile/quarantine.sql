-- Quarantine holds exactly rows_quarantined rows of each file, one per row number, under the
-- file's own dataset, path and hash; and no quarantine row belongs to a file nobody recorded.
WITH q AS (
    SELECT file_seq, count(*) AS n, count(DISTINCT row_number) AS distinct_rows,
           count(*) FILTER (WHERE row_number IS NULL) AS unnumbered
    FROM quarantine_rows
    GROUP BY file_seq
)
SELECT 'quarantine_count' AS check_id, f.dataset, f.path,
       'rows_quarantined ' || f.rows_quarantined || ' but ' || coalesce(q.n, 0) || ' row(s) in quarantine_rows' AS detail
FROM ingest_files AS f LEFT JOIN q USING (file_seq)
WHERE coalesce(q.n, 0) <> f.rows_quarantined

UNION ALL
SELECT 'quarantine_row_repeated', f.dataset, f.path,
       (q.n - q.distinct_rows - q.unnumbered) || ' row number(s) quarantined more than once, '
           || q.unnumbered || ' without a row number'
FROM q JOIN ingest_files AS f USING (file_seq)
WHERE q.n <> q.distinct_rows OR q.unnumbered > 0

UNION ALL
SELECT 'quarantine_lineage', f.dataset, f.path,
       count(*) || ' quarantine row(s) name another dataset, path or sha256 than their file'
FROM quarantine_rows AS r JOIN ingest_files AS f USING (file_seq)
WHERE r.dataset <> f.dataset OR r.path <> f.path OR r.file_sha256 IS DISTINCT FROM f.sha256
GROUP BY f.dataset, f.path

UNION ALL
SELECT 'quarantine_orphan', r.dataset, r.path,
       count(*) || ' quarantine row(s) of no recorded file (file_seq ' || coalesce(r.file_seq::VARCHAR, 'NULL') || ')'
FROM quarantine_rows AS r LEFT JOIN ingest_files AS f USING (file_seq)
WHERE f.file_seq IS NULL
GROUP BY r.dataset, r.path, r.file_seq

ORDER BY ALL
