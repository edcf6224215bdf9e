-- Files and rows by dataset and status: what a reconciliation covered, for its metadata.
SELECT dataset, status, count(*) AS files,
       sum(rows_read) AS rows_read, sum(rows_accepted) AS rows_accepted, sum(rows_quarantined) AS rows_quarantined
FROM ingest_files
GROUP BY ALL
ORDER BY ALL
