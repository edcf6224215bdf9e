-- Quarantine per dataset: the files first ingested by the runs for T, and every file to date.
-- Rates are quarantined rows over rows read (rows_read = rows_accepted + rows_quarantined).
SELECT
    dataset,
    count(*) FILTER (WHERE as_of = $as_of) AS files,
    count(*) FILTER (WHERE as_of = $as_of AND status = 'refused') AS refused_files,
    count(*) FILTER (WHERE as_of = $as_of AND status = 'held') AS held_files,
    count(*) FILTER (WHERE as_of = $as_of AND status = 'duplicate') AS duplicate_files,
    coalesce(sum(rows_read) FILTER (WHERE as_of = $as_of), 0) AS rows_read,
    coalesce(sum(rows_quarantined) FILTER (WHERE as_of = $as_of), 0) AS rows_quarantined,
    coalesce(sum(rows_quarantined) FILTER (WHERE as_of = $as_of), 0)
        / nullif(coalesce(sum(rows_read) FILTER (WHERE as_of = $as_of), 0), 0) AS quarantine_rate,
    count(*) AS files_to_date,
    sum(rows_read) AS rows_read_to_date,
    sum(rows_quarantined) AS rows_quarantined_to_date,
    sum(rows_quarantined) / nullif(sum(rows_read), 0) AS quarantine_rate_to_date
FROM ingest_files
WHERE as_of <= $as_of
GROUP BY dataset
ORDER BY dataset
