-- Cell-level contract conformance of the Parquet file $path: NULL in a required column, a value
-- outside a column's validValues (each list element is checked), a code that fails GB 32100 in a
-- `check: uscc` column. One row per (rule, column) with the first failing row and the count.
-- $allowed is a list of {column_name, allowed_values} structs.
WITH leaves AS MATERIALIZED (
    SELECT * FROM release_leaves($path)
),
failures AS (
    SELECT 'required' AS rule, column_name, row_no
    FROM leaves
    WHERE cell_null AND list_contains($required_columns, column_name)
    UNION ALL
    SELECT 'valid_values', l.column_name, l.row_no
    FROM leaves AS l
    JOIN (SELECT a.column_name, a.allowed_values FROM (SELECT unnest($allowed) AS a)) AS a
        ON a.column_name = l.column_name
    WHERE l.value IS NOT NULL AND NOT list_contains(a.allowed_values, l.value)
    UNION ALL
    SELECT 'uscc', column_name, row_no
    FROM leaves
    WHERE value IS NOT NULL AND list_contains($uscc_columns, column_name) AND NOT uscc_valid(value)
)
SELECT rule, column_name, min(row_no) AS first_row, count(*) AS failures
FROM failures
GROUP BY rule, column_name
ORDER BY rule, column_name;
