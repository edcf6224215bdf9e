-- Macros of the publication stage, created per connection (TEMP) before any publish model runs.

-- Mask identity-, account- and phone-number-like substrings in free text. `pattern` is the
-- alternation of the masking patterns of warehouse/policy/disclosure.yaml wrapped in boundaries,
-- (^|[^0-9０-９A-Za-z])(?:...)([^0-9０-９A-Za-z]|$), or, next to an ASCII letter, the patterns'
-- `next_to_letter` forms wrapped in digit boundaries (groups 3 and 4); `replacement` is
-- '\1\3<mask>\2\4' (warehouse/privacy.py, masking_params). A match consumes the boundary
-- character after it, so a number directly after a masked one (13812345678,13912345678)
-- is only reachable by a second pass; two passes reach every one. Most cells hold nothing to
-- mask: one search finds that, where the two replacements searched twice (2.6 s -> 0.9 s for the
-- four masked columns of 2.9 M permits); a cell without a match is returned as it is either way.
CREATE OR REPLACE TEMP MACRO mask_pii(x, pattern, replacement) AS
    CASE
        WHEN regexp_matches(x, pattern)
            THEN regexp_replace(regexp_replace(x, pattern, replacement, 'g'), pattern, replacement, 'g')
        ELSE x
    END;

-- The text the release gate compares with complainants' names: trimmed (trim() drops the Unicode
-- space separators, category Zs, at both ends) and without ASCII or ideographic blanks and tabs.
-- privacy_known.sql stores the names this way, privacy_gate_cells.sql keys the published cells this way.
CREATE OR REPLACE TEMP MACRO name_key(x) AS
    replace(replace(replace(trim(x), ' ', ''), '　', ''), chr(9), '');

-- One cell of a column that is read through JSON (see release_leaves) as its list of leaves: NULL
-- for a NULL cell, the elements of a list (nested values as JSON text), else the one value as text.
CREATE OR REPLACE TEMP MACRO json_leaf_items(cell) AS
    CASE
        WHEN cell IS NULL THEN NULL::VARCHAR[]
        WHEN json_type(cell) = 'ARRAY' THEN CAST(cell AS VARCHAR[])
        ELSE [cell ->> '$']
    END;

-- Every cell of a Parquet file as text, one row per scalar cell or list element: file row number
-- (0-based), column name, whether the cell is NULL, and the value as text. An empty list has no
-- leaf, a NULL list one NULL leaf. The gate reads files through this (privacy_gate_cells.sql), so no column
-- and no list element escapes it. The columns come by kind, which warehouse/privacy.py takes from
-- the file's schema (the names are bound parameters, never SQL text):
--   text_columns       VARCHAR, and types whose CAST to text is the text their JSON value gives
--                      back (DATE, BOOLEAN, integers of up to 64 bits): CAST(c AS VARCHAR),
--   text_list_columns  VARCHAR[]: the elements as they are,
--   json_columns       every other type (DECIMAL, DOUBLE, nested, JSON ...): rendered as JSON and
--                      read back, so that the text is the one the gate has always scanned
--                      (a DECIMAL(18,6) 13912345678.500000 reads 13912345678.5).
-- Each COLUMNS(...) must match a column, so each reads a NULL placeholder too ("gate:none...", a
-- name no published contract uses), whose leaves are dropped again. With `new_rows_only`, only the
-- rows listed in the TEMP table gate_new_rows (privacy_new_rows.sql) are read.
CREATE TEMP TABLE IF NOT EXISTS gate_new_rows (row_no BIGINT);

CREATE OR REPLACE TEMP MACRO release_leaves(
    path, text_columns, text_list_columns, json_columns, new_rows_only := false
) AS TABLE
    SELECT row_no, column_name, value IS NULL AS cell_null, value
    FROM (
        SELECT
            file_row_number AS row_no,
            CAST(COLUMNS(lambda c: c = 'gate:none' OR list_contains(text_columns, c)) AS VARCHAR)
        FROM (
            SELECT *, NULL::VARCHAR AS "gate:none"
            FROM read_parquet(path, file_row_number = true)
            WHERE NOT new_rows_only OR file_row_number IN (SELECT row_no FROM gate_new_rows)
        )
    )
    UNPIVOT INCLUDE NULLS (value FOR column_name IN (COLUMNS(* EXCLUDE row_no)))
    WHERE column_name <> 'gate:none'
    UNION ALL
    SELECT row_no, column_name, items IS NULL AS cell_null, unnest(coalesce(items, [NULL::VARCHAR])) AS value
    FROM (
        SELECT
            file_row_number AS row_no,
            CAST(COLUMNS(lambda c: c = 'gate:none' OR list_contains(text_list_columns, c)) AS VARCHAR[]),
            json_leaf_items(to_json(COLUMNS(lambda c: c = 'gate:none:json' OR list_contains(json_columns, c))))
        FROM (
            SELECT *, NULL::VARCHAR[] AS "gate:none", NULL::VARCHAR AS "gate:none:json"
            FROM read_parquet(path, file_row_number = true)
            WHERE NOT new_rows_only OR file_row_number IN (SELECT row_no FROM gate_new_rows)
        )
    )
    UNPIVOT INCLUDE NULLS (items FOR column_name IN (COLUMNS(* EXCLUDE row_no)))
    WHERE column_name NOT IN ('gate:none', 'gate:none:json');

-- One row per row of the Parquet file `path`: its file row number and a key holding exactly what
-- the release gate reads of it (warehouse/gate_memory.py): the values of `value_columns`, and
-- only whether each cell of `null_columns` is NULL (required columns the gate reads for that
-- alone). Two rows with the same key get the same findings from every rule of the gate that
-- looks at one row's content. "gate:none:*" are placeholders, as in release_leaves: each
-- COLUMNS(...) must match a column.
CREATE OR REPLACE TEMP MACRO gate_row_keys(path, value_columns, null_columns) AS TABLE
    SELECT row_no, row(*COLUMNS(* EXCLUDE row_no)) AS row_key
    FROM (
        SELECT
            file_row_number AS row_no,
            COLUMNS(lambda c: c = 'gate:none:v' OR list_contains(value_columns, c)),
            COLUMNS(lambda c: c = 'gate:none:n' OR list_contains(null_columns, c)) IS NULL
        FROM (
            SELECT *, NULL::VARCHAR AS "gate:none:v", NULL::VARCHAR AS "gate:none:n"
            FROM read_parquet(path, file_row_number = true)
        )
    );
