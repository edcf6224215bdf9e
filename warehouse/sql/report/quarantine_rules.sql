-- The rules that quarantined rows of the files first ingested by the runs for T, most frequent
-- first, with the file that failed each rule most often.
WITH failures AS (
    SELECT q.dataset, u.rule, q.path
    FROM quarantine_rows AS q, unnest(q.failed_rules) AS u(rule)
    WHERE q.file_seq IN (SELECT file_seq FROM ingest_files WHERE as_of = $as_of)
)
SELECT dataset, rule, count(*) AS rows, count(DISTINCT path) AS files, mode(path) AS most_in
FROM failures
GROUP BY dataset, rule
ORDER BY rows DESC, dataset, rule
LIMIT $limit
