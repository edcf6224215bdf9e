-- Published 诚信红名单 (data_contracts/published/red_list.yaml) on $as_of.
SELECT
    CAST(uscc AS VARCHAR) AS uscc,
    mask_pii(name, $pii_pattern, $pii_replacement) AS name,
    CAST(district_code AS VARCHAR) AS district_code,
    CAST(tier AS VARCHAR) AS tier,
    CAST(score AS INTEGER) AS score,
    CAST(listed_since AS DATE) AS listed_since,
    CAST(valid_until AS DATE) AS valid_until,
    mask_pii(CAST(reasons AS VARCHAR), $pii_pattern, $pii_replacement) AS reasons,
    policy_version
FROM red_list
WHERE as_of = $as_of
ORDER BY uscc;
