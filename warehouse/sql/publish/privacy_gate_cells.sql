-- The leaves of the Parquet file $path (release_leaves) that the release gate has to look at, from
-- one read of the file shared by the contract checks and the privacy scan ($new_rows_only: of the
-- rows in gate_new_rows alone, warehouse/gate_memory.py). Everything else is
-- dropped here, so the tables built from gate_cells stay small:
--   * leaves that fail `required` or `validValues`, and every leaf of a `check: uscc` column
--     (contract_cells.sql checks each distinct code once),
--   * `digits`: leaves of the columns in $scan_columns that the digit rules of privacy_findings.sql
--     could match. Such a leaf holds at least $digits_needed digits (ASCII or full-width) in all:
--     warehouse/privacy.py computes that number as the fewest digits any digit rule can match (a
--     token of 11 characters or more, a number of the raw layer, the phone patterns of the
--     disclosure policy). Leaves with a blank are kept too: the same regex finds them, and a leaf
--     with too few digits matches no digit rule whether it is kept or not.
--   * `name_key`: leaves of the columns in $name_columns that are as long as some complainant's
--     name once their blanks are removed (name_key). A leaf longer than the longest name that
--     holds no blank (no tab, no Unicode space separator, which is all trim() and name_key drop)
--     cannot shrink to one.
-- $columns holds the contract's rules per column: required, allowed_values (NULL: any), uscc.
-- The name lengths come from the variable gate_name_bytes (privacy_name_bytes.sql, set just before).
CREATE OR REPLACE TEMP TABLE gate_cells AS
WITH rules AS (
    SELECT r.*
    FROM (
        SELECT unnest(CAST($columns AS STRUCT(
            column_name VARCHAR, required BOOLEAN, allowed_values VARCHAR[], uscc BOOLEAN
        )[])) AS r
    )
),
leaves AS (
    SELECT
        *,
        -- the one regex over every scanned leaf: enough digits for a digit rule, or a blank. A leaf
        -- of fewer bytes than $digits_needed has too few digits, and one no longer than the longest
        -- name is compared with the names whether it has a blank or not: neither needs the regex.
        CASE
            WHEN value IS NULL OR NOT list_contains(CAST($scan_columns AS VARCHAR[]), column_name) THEN false
            WHEN strlen(value) < $digits_needed
                 AND strlen(value) <= coalesce(getvariable('gate_name_bytes').longest, $digits_needed)
                THEN false
            ELSE regexp_matches(value, '(?:[0-9０-９][^0-9０-９]*){' || $digits_needed || '}|[\t\p{Zs}]')
        END AS digits
    FROM release_leaves(
        $path,
        CAST($text_columns AS VARCHAR[]),
        CAST($text_list_columns AS VARCHAR[]),
        CAST($json_columns AS VARCHAR[]),
        new_rows_only := $new_rows_only
    )
),
kept AS (
    -- only cheap tests here: DuckDB evaluates a filter's expressions again in the projection above
    SELECT
        l.row_no,
        l.column_name,
        l.value,
        coalesce(r.required AND l.cell_null, false) AS required_failed,
        coalesce(NOT list_contains(r.allowed_values, l.value), false) AS valid_failed,
        coalesce(r.uscc AND l.value IS NOT NULL, false) AS uscc_leaf,
        l.digits,
        l.value IS NOT NULL AND list_contains(CAST($name_columns AS VARCHAR[]), l.column_name) AS name_leaf
    FROM leaves AS l
    LEFT JOIN rules AS r USING (column_name)
)
SELECT
    row_no,
    column_name,
    value,
    required_failed,
    valid_failed,
    uscc_leaf,
    digits,
    CASE
        WHEN name_leaf AND (strlen(value) <= getvariable('gate_name_bytes').longest
                            OR (digits AND regexp_matches(value, '[\t\p{Zs}]')))
             AND strlen(name_key(value)) BETWEEN getvariable('gate_name_bytes').shortest
                                             AND getvariable('gate_name_bytes').longest
            THEN name_key(value)
    END AS name_key
FROM kept
WHERE required_failed OR valid_failed OR uscc_leaf OR digits
   OR (name_leaf AND strlen(value) BETWEEN getvariable('gate_name_bytes').shortest
                                       AND getvariable('gate_name_bytes').longest);
