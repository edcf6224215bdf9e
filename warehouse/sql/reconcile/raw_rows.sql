-- Template: {raw} is raw_<dataset> and {dataset} the dataset, both checked against the known
-- datasets before they are written in. Every row read is in the raw table or, rejected by the
-- parser, in quarantine (never both, never twice); raw rows belong to files taken.
WITH raw AS (
    SELECT _file_seq, count(*) AS n
    FROM {raw}
    GROUP BY _file_seq
),
parse_rejects AS (
    SELECT file_seq, count(*) AS n
    FROM quarantine_rows
    WHERE stage = 'parse' AND dataset = $dataset
    GROUP BY file_seq
)
SELECT 'raw_rows_lost' AS check_id, f.dataset, f.path,
       'rows_read ' || f.rows_read || ' but ' || coalesce(r.n, 0) || ' raw row(s) + '
           || coalesce(p.n, 0) || ' parse reject(s)' AS detail
FROM ingest_files AS f
LEFT JOIN raw AS r ON r._file_seq = f.file_seq
LEFT JOIN parse_rejects AS p ON p.file_seq = f.file_seq
WHERE f.dataset = $dataset AND coalesce(r.n, 0) + coalesce(p.n, 0) <> f.rows_read

UNION ALL
-- Two raw rows with one (sha256, row number) share a file_seq (and are found by grouping on two
-- integers, twice as fast as on the sha256's text), or their sha256 is that of two file_seqs, or
-- a lineage column is NULL (IN never holds for NULL): only such rows are grouped by (sha256, row
-- number), so each problem still counts every row of its pair.
SELECT 'raw_row_twice', $dataset, any_value(_path),
       count(*) || ' raw rows for (sha256 ' || coalesce(left(_file_sha256, 12) || '…', 'NULL')
           || ', row ' || coalesce(_row_number::VARCHAR, 'NULL') || ')'
FROM {raw}
WHERE _file_seq IS NULL OR _file_sha256 IS NULL
   OR _file_seq IN (
        SELECT _file_seq FROM {raw} GROUP BY _file_seq, _row_number HAVING count(*) > 1
    )
   OR _file_sha256 IN (
        SELECT _file_sha256 FROM (SELECT DISTINCT _file_seq, _file_sha256 FROM {raw})
        GROUP BY _file_sha256 HAVING count(*) > 1
    )
GROUP BY _file_sha256, _row_number
HAVING count(*) > 1

UNION ALL
SELECT 'raw_row_of_no_file', $dataset, any_value(r._path),
       count(*) || ' raw row(s) of file_seq ' || coalesce(r._file_seq::VARCHAR, 'NULL')
           || coalesce(' whose status is ' || any_value(f.status), ' that ingest_files does not know')
FROM {raw} AS r
LEFT JOIN ingest_files AS f ON f.file_seq = r._file_seq AND f.dataset = $dataset
WHERE f.file_seq IS NULL OR f.status NOT IN ('ingested', 'validated', 'held')
   OR f.sha256 IS DISTINCT FROM r._file_sha256 OR f.path IS DISTINCT FROM r._path
GROUP BY r._file_seq

UNION ALL
SELECT 'raw_row_also_rejected', $dataset, any_value(r._path),
       count(*) || ' row(s) both in the raw table and rejected by the parser'
FROM {raw} AS r
JOIN quarantine_rows AS q
  ON q.file_seq = r._file_seq AND q.row_number = r._row_number AND q.stage = 'parse'
GROUP BY r._file_seq

ORDER BY ALL
