-- Macros of the publication stage, created per connection (TEMP) before any publish model runs.

-- Mask identity-, account- and phone-number-like substrings in free text. `pattern` is the
-- alternation of the masking patterns of warehouse/policy/disclosure.yaml wrapped in digit
-- boundaries, (^|[^0-9])(?:...)([^0-9]|$), and `replacement` is '\1<mask>\2'. A match consumes
-- the boundary character after it, so a number directly after a masked one (13812345678,13912345678)
-- is only reachable by a second pass; two passes reach every one.
CREATE OR REPLACE TEMP MACRO mask_pii(x, pattern, replacement) AS
    regexp_replace(regexp_replace(x, pattern, replacement, 'g'), pattern, replacement, 'g');

-- Every cell of a Parquet file as text, one row per scalar cell or list element: file row number
-- (0-based), column name, whether the cell is NULL, and the value as text (numbers and dates
-- rendered as text, JSON strings unescaped). The privacy gate and the contract checks read files
-- through this, so no column and no list element escapes them.
CREATE OR REPLACE TEMP MACRO release_leaves(path) AS TABLE
    WITH cells AS (
        FROM (
            SELECT file_row_number AS row_no, to_json(COLUMNS(* EXCLUDE file_row_number))
            FROM read_parquet(path, file_row_number = true)
        )
        UNPIVOT INCLUDE NULLS (cell FOR column_name IN (COLUMNS(* EXCLUDE row_no)))
    )
    SELECT
        row_no,
        column_name,
        cell IS NULL AS cell_null,
        unnest(CASE
            WHEN cell IS NULL THEN [NULL::VARCHAR]
            WHEN json_type(cell) = 'ARRAY' THEN CAST(cell AS VARCHAR[])
            ELSE [cell ->> '$']
        END) AS value
    FROM cells;
