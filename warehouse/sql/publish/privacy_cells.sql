-- The cells of the Parquet file $path that the privacy gate reads, as TEMP tables whose real sizes
-- let DuckDB build the lookups of privacy_findings.sql on the small side. Every column but those in
-- $skip_columns, every list element, numbers as text. release.py skips only DATE and BOOLEAN
-- columns, whose text (2026-11-25, true) can hold no identity or phone number and no name.
-- Each cell keeps its digit runs: full-width digits count, and a trailing X is kept.
CREATE OR REPLACE TEMP TABLE privacy_cells AS
SELECT
    row_no,
    column_name,
    value,
    raw_tokens,
    -- a token string longer in bytes than in characters holds a full-width digit or X
    strlen(array_to_string(raw_tokens, '')) <> length(array_to_string(raw_tokens, '')) AS fullwidth
FROM (
    SELECT row_no, column_name, value, regexp_extract_all(value, '[0-9０-９]+[XxＸｘ]?') AS raw_tokens
    FROM release_leaves($path)
    WHERE value IS NOT NULL
      AND NOT list_contains($skip_columns, column_name)
);

-- Every maximal digit run of every cell, ASCII and upper-case.
CREATE OR REPLACE TEMP TABLE privacy_tokens AS
SELECT
    row_no,
    column_name,
    upper(CASE WHEN fullwidth THEN translate(raw_token, '０１２３４５６７８９Ｘｘ', '0123456789XX') ELSE raw_token END)
        AS token
FROM (
    SELECT row_no, column_name, fullwidth, unnest(raw_tokens) AS raw_token
    FROM privacy_cells
    WHERE len(raw_tokens) > 0
);

-- Cells with two or more digit runs, where separated phone numbers can be: the cell with full-width
-- digits, X, hyphens and brackets made ASCII, and each number written with separators (blanks,
-- hyphens, dots, brackets: `138 0013 8000`) taken together. Digits that Chinese text separates
-- (`没收14600元，罚款104300元`) are different numbers and are never joined.
CREATE OR REPLACE TEMP TABLE privacy_grouped AS
SELECT
    row_no,
    column_name,
    ascii_value,
    list_transform(
        regexp_extract_all(ascii_value, '[0-9][0-9 \t.()-]*[0-9Xx]'),
        lambda n: upper(regexp_replace(n, '[^0-9Xx]', '', 'g'))
    ) AS numbers
FROM (
    SELECT
        row_no,
        column_name,
        replace(
            CASE WHEN fullwidth THEN translate(value, '０１２３４５６７８９Ｘｘ－（）', '0123456789Xx-()') ELSE value END,
            '　', ' '
        ) AS ascii_value
    FROM privacy_cells
    WHERE len(raw_tokens) >= 2
);
