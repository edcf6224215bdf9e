-- What the data engineer sees in the UI: quarantined rows of this dataset's batch, by file
-- and rule, with one example row number each.
SELECT q.path, rule, count(*) AS rows, min(q.row_number) AS example_row
FROM quarantine_rows AS q, unnest(q.failed_rules) AS u(rule)
WHERE q.dataset = $dataset AND q.file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset)
GROUP BY ALL
ORDER BY rows DESC, q.path, rule
LIMIT 50
