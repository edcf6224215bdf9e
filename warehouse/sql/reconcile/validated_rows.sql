-- Template: {validated} is the dataset's validated table, {dataset} the dataset (both checked
-- against the known datasets). A validated row comes from a validated file of the dataset, once,
-- and is not in quarantine too; a validated file has exactly rows_accepted rows there.
WITH v AS (
    SELECT _file_seq, count(*) AS n, count(DISTINCT _row_number) AS distinct_rows
    FROM {validated}
    GROUP BY _file_seq
)
SELECT 'validated_count' AS check_id, f.dataset, f.path,
       'rows_accepted ' || f.rows_accepted || ' but ' || coalesce(v.n, 0) || ' validated row(s)' AS detail
FROM ingest_files AS f LEFT JOIN v ON v._file_seq = f.file_seq
WHERE f.dataset = $dataset AND f.status = 'validated' AND coalesce(v.n, 0) <> f.rows_accepted

UNION ALL
SELECT 'validated_from_unvalidated_file', $dataset, coalesce(any_value(f.path), any_value(t._path)),
       count(*) || ' validated row(s) of file_seq ' || coalesce(t._file_seq::VARCHAR, 'NULL')
           || coalesce(' whose status is ' || any_value(f.status), ' that ingest_files does not know')
FROM {validated} AS t
LEFT JOIN ingest_files AS f ON f.file_seq = t._file_seq AND f.dataset = $dataset
WHERE f.file_seq IS NULL OR f.status <> 'validated'
GROUP BY t._file_seq

UNION ALL
SELECT 'validated_row_twice', $dataset, any_value(f.path),
       (v.n - v.distinct_rows) || ' row number(s) validated more than once'
FROM v JOIN ingest_files AS f ON f.file_seq = v._file_seq
WHERE v.n <> v.distinct_rows
GROUP BY v._file_seq, v.n, v.distinct_rows

UNION ALL
SELECT 'validated_row_also_quarantined', $dataset, any_value(t._path),
       count(*) || ' row(s) both validated and in quarantine'
FROM {validated} AS t
JOIN quarantine_rows AS q ON q.file_seq = t._file_seq AND q.row_number = t._row_number
GROUP BY t._file_seq

ORDER BY ALL
