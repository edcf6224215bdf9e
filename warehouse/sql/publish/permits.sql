-- Published 行政许可 (data_contracts/published/permits.yaml): every permit decided on or before
-- $as_of, expired and invalid ones included, since a permit decision is a public administrative
-- decision with no disclosure period in the policy. `status` is the permit's state on $as_of
-- (有效 when valid at $as_of as credit-policy.md section 4 defines it, else 无效); `source_status`
-- keeps the 当前状态 as delivered. Permits of 自然人 are left out (credit-policy.md section 6
-- allows a 自然人's name only with a penalty).
SELECT
    CAST(decision_doc_no AS VARCHAR) AS decision_doc_no,
    mask_pii(party_name, $pii_pattern, $pii_replacement) AS party_name,
    CAST(uscc AS VARCHAR) AS uscc,
    permit_category,
    mask_pii(certificate_name, $pii_pattern, $pii_replacement) AS certificate_name,
    CAST(permit_no AS VARCHAR) AS permit_no,
    mask_pii(content, $pii_pattern, $pii_replacement) AS content,
    CAST(decision_date AS DATE) AS decision_date,
    CAST(valid_from AS DATE) AS valid_from,
    CAST(valid_to AS DATE) AS valid_to,
    authority,
    CASE WHEN valid_at_as_of IS TRUE THEN '有效' ELSE '无效' END AS status,
    CAST(authority_uscc AS VARCHAR) AS authority_uscc,
    party_type,
    mask_pii(decision_doc_name, $pii_pattern, $pii_replacement) AS decision_doc_name,
    status AS source_status,
    CAST(industry_code AS VARCHAR) AS industry_code
FROM permits_resolved
WHERE as_of = $as_of
  AND decision_date <= $as_of
  AND party_type IN ('法人及非法人组织', '个体工商户')
ORDER BY decision_doc_no, authority_uscc;
