-- Published 失信黑名单 (data_contracts/published/black_list.yaml) on $as_of, each row with its
-- reasons, basis documents (文书号 / 承诺编码), legal basis and removal conditions.
SELECT
    CAST(uscc AS VARCHAR) AS uscc,
    mask_pii(name, $pii_pattern, $pii_replacement) AS name,
    CAST(district_code AS VARCHAR) AS district_code,
    CAST(listed_since AS DATE) AS listed_since,
    CAST(expected_until AS DATE) AS expected_until,
    CAST(reason_codes AS VARCHAR[]) AS reason_codes,
    CAST(basis_documents AS VARCHAR[]) AS basis_documents,
    mask_pii(reason_text, $pii_pattern, $pii_replacement) AS reason_text,
    mask_pii(legal_basis, $pii_pattern, $pii_replacement) AS legal_basis,
    mask_pii(removal_conditions, $pii_pattern, $pii_replacement) AS removal_conditions,
    policy_version
FROM black_list
WHERE as_of = $as_of
ORDER BY uscc;
