-- Cell-level contract conformance of one Parquet file, from the leaves privacy_gate_cells.sql kept
-- for it: NULL in a required column, a value outside a column's validValues (each list element is
-- checked), a code that fails GB 32100 in a `check: uscc` column. One row per (rule, column) with
-- the first failing row and the count of failing leaves. Codes repeat (an authority's code on each
-- of its decisions), so each distinct code is checked once.
WITH invalid_codes AS (
    SELECT value
    FROM (SELECT DISTINCT value FROM gate_cells WHERE uscc_leaf)
    WHERE NOT uscc_valid(value)
),
failures AS (
    SELECT 'required' AS rule, column_name, row_no FROM gate_cells WHERE required_failed
    UNION ALL
    SELECT 'valid_values', column_name, row_no FROM gate_cells WHERE valid_failed
    UNION ALL
    SELECT 'uscc', column_name, row_no FROM gate_cells SEMI JOIN invalid_codes USING (value) WHERE uscc_leaf
)
SELECT rule, column_name, min(row_no) AS first_row, count(*) AS failures
FROM failures
GROUP BY rule, column_name
ORDER BY rule, column_name;
