-- Seeded row defects, corrections and revocations of the dataset being written.
SELECT kind, count(*) AS n FROM plan WHERE version = 0 AND kind <> 'clean' GROUP BY kind
UNION ALL
SELECT CASE version WHEN 1 THEN 'corrections' ELSE 'revocations' END, count(*) FROM plan WHERE version > 0 GROUP BY version
ORDER BY 1;
