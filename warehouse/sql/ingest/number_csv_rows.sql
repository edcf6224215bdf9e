-- Give every accepted CSV record its position in the file (1 = the line after the header).
-- The k-th accepted record sits at k plus the number of gaps before it, a gap being a
-- rejected record or an empty line ($blank_rows). With the gaps sorted, s_j - j is how many
-- accepted records precede gap j, so the gaps before record k are those with s_j - j < k.
CREATE OR REPLACE TEMP TABLE _csv_gaps AS
WITH gaps AS (
    SELECT DISTINCT pos
    FROM (
        SELECT _row_number AS pos FROM _rejects
        UNION ALL
        SELECT unnest(CAST($blank_rows AS BIGINT[])) AS pos
    )
),
ranked AS (
    SELECT pos - row_number() OVER (ORDER BY pos) AS accepted_before, row_number() OVER (ORDER BY pos) AS n
    FROM gaps
)
SELECT accepted_before, max(n) AS gaps_before FROM ranked GROUP BY accepted_before;

CREATE OR REPLACE TEMP TABLE _incoming AS
SELECT CAST(r._row_number + coalesce(g.gaps_before, 0) AS BIGINT) AS _row_number, r.* EXCLUDE (_row_number)
FROM _csv_records AS r
ASOF LEFT JOIN _csv_gaps AS g ON r._row_number > g.accepted_before
ORDER BY r._row_number;

DROP TABLE _csv_records;
DROP TABLE _csv_gaps;
