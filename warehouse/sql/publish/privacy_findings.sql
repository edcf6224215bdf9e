-- Personal data in the cells of one Parquet file (the TEMP tables of privacy_gate_cells.sql and
-- privacy_cells.sql): one row per (rule, column, row), at most $max_findings per rule and column,
-- with the total count of that rule and column. Digit rules look at maximal digit runs (tokens), so a number inside a longer run of
-- digits is not taken for an identity or phone number. Whole-cell patterns run only on cells with
-- the digit groups they need: every pattern over every cell of a large release would take minutes.
WITH id_candidates AS (
    -- what the identity-number rules look at: digit runs, and identity numbers written in groups
    -- with their digits taken together (privacy_cells.sql)
    SELECT row_no, column_name, token FROM privacy_tokens
    UNION ALL
    SELECT row_no, column_name, unnest(id_numbers) AS token FROM privacy_grouped
),
hits AS (
    -- 18-digit resident identity numbers that pass GB 11643 with a plausible birth year. The CASE
    -- keeps ric_valid to 18-character tokens with a birth century: AND does not stop DuckDB from
    -- evaluating it on every token, and most tokens are dates, amounts and codes.
    SELECT row_no, column_name, 'privacy.id_number' AS rule
    FROM id_candidates
    WHERE CASE
        WHEN length(token) = 18 AND substr(token, 7, 2) IN ('18', '19', '20')
            THEN ric_valid(token) AND TRY_CAST(substr(token, 7, 4) AS INTEGER) >= $id_number_min_birth_year
        ELSE false
    END
    UNION ALL
    -- 15-digit identity numbers of the old kind, outside the code columns that hold such codes
    SELECT row_no, column_name, 'privacy.id_number_15'
    FROM id_candidates
    WHERE length(token) = 15
      AND regexp_full_match(token, $id_number_15_pattern)
      AND NOT list_contains($id_number_15_exempt_columns, column_name)
    UNION ALL
    SELECT row_no, column_name, 'privacy.mobile'
    FROM privacy_tokens
    WHERE length(token) IN (11, 13) AND regexp_full_match(token, $mobile_token_pattern)
    UNION ALL
    SELECT row_no, column_name, 'privacy.mobile'
    FROM privacy_grouped
    WHERE mobile
    UNION ALL
    SELECT row_no, column_name, 'privacy.landline'
    FROM privacy_grouped
    WHERE landline
    UNION ALL
    -- a landline with its area code as one digit run (02787654321: 10 to 12 digits)
    SELECT row_no, column_name, 'privacy.landline'
    FROM privacy_tokens
    WHERE length(token) BETWEEN 10 AND 12 AND regexp_full_match(token, $landline_token_pattern)
    UNION ALL
    -- (027)87654321 is one digit run after the bracket
    SELECT row_no, column_name, 'privacy.landline'
    FROM gate_cells
    WHERE digits
      AND (contains(value, '(') OR contains(value, '（'))
      AND regexp_matches(value, '[0-9０-９]')
      AND NOT regexp_matches(value, '[0-9０-９][^0-9０-９]+[0-9０-９]')
      AND regexp_matches(translate(value, '０１２３４５６７８９（）', '0123456789()'), $landline_pattern)
    UNION ALL
    -- identity and phone numbers delivered in the raw layer, whatever their shape: a digit run, or
    -- a number written with separators (none of them is shorter than $known_min_length)
    SELECT c.row_no, c.column_name, 'privacy.known_identifier'
    FROM (
        SELECT row_no, column_name, token AS candidate FROM privacy_tokens WHERE length(token) >= $known_min_length
        UNION ALL
        SELECT row_no, column_name, candidate
        FROM (SELECT row_no, column_name, unnest(numbers) AS candidate FROM privacy_grouped)
        WHERE length(candidate) >= $known_min_length
    ) AS c
    -- an inner join (hits are made distinct below) lets DuckDB build on the smaller side
    JOIN privacy_known AS k ON k.kind = 'identifier' AND k.value = c.candidate
    UNION ALL
    -- complainants' names as a whole cell or list element, outside the record's own party columns,
    -- compared without blanks, as privacy_known.sql stores them (privacy_gate_cells.sql keeps the
    -- leaves of the compared columns that are as long as a name once their blanks are removed)
    SELECT c.row_no, c.column_name, 'privacy.complainant_name'
    FROM gate_cells AS c
    JOIN privacy_known AS k ON k.kind = 'complainant_name' AND k.value = c.name_key
),
distinct_hits AS (
    SELECT DISTINCT rule, column_name, row_no FROM hits
)
SELECT rule, column_name, row_no, count(*) OVER (PARTITION BY rule, column_name) AS total
FROM distinct_hits
QUALIFY row_number() OVER (PARTITION BY rule, column_name ORDER BY row_no) <= $max_findings
ORDER BY rule, column_name, row_no;
