-- What the credit stage holds for $as_of: the publication refuses to build a release from a date
-- the credit stage has not evaluated, or evaluated under another policy version.
SELECT
    (SELECT count(*) FROM merchant_credit WHERE as_of = $as_of) AS merchant_rows,
    (SELECT list(DISTINCT policy_version ORDER BY policy_version) FROM merchant_credit WHERE as_of = $as_of)
        AS policy_versions;
