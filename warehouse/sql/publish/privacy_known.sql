-- Add the values of $columns of raw table $table to privacy_known as $kind. Complainant names are
-- kept without blanks (name_key; privacy_gate_cells.sql keys the published cells the same way);
-- identity and phone numbers as their digits and letters, full-width ones made ASCII, upper-case,
-- a leading 86 country code dropped from a mobile number. Values shorter than $min_length are left
-- out: they would match by coincidence. Most numbers arrive as ASCII digits and capitals without
-- an 86 in front, which are their own normal form: they skip the regex replacements.
INSERT INTO privacy_known
SELECT DISTINCT $kind, normalised
FROM (
    SELECT CASE
        WHEN $kind = 'complainant_name'
            THEN name_key(v)
        WHEN NOT starts_with(v, '86') AND regexp_full_match(v, '[0-9A-Z]*')
            THEN v
        ELSE regexp_replace(
            upper(regexp_replace(translate(v, '０１２３４５６７８９Ｘｘ', '0123456789XX'), '[^0-9A-Za-z]', '', 'g')),
            '^86(1[3-9][0-9]{9})$',
            '\1'
        )
    END AS normalised
    FROM (
        FROM (SELECT CAST(COLUMNS(lambda c: list_contains($columns, c)) AS VARCHAR) FROM query_table($table))
        UNPIVOT (v FOR source_column IN (COLUMNS(*)))
    )
)
WHERE length(normalised) >= $min_length;
