-- Add the values of $columns of raw table $table to privacy_known as $kind. Complainant names are
-- kept without blanks (privacy_findings.sql compares cells the same way); identity and phone
-- numbers as their digits and letters, full-width ones made ASCII, upper-case, a leading 86
-- country code dropped from a mobile number. Values shorter than $min_length are left out: they
-- would match by coincidence.
INSERT INTO privacy_known
SELECT DISTINCT $kind, normalised
FROM (
    SELECT CASE
        WHEN $kind = 'complainant_name'
            THEN replace(replace(replace(trim(v), ' ', ''), '　', ''), chr(9), '')
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
