-- Published 行政处罚 (data_contracts/published/penalties.yaml): the publishable penalties active on
-- $as_of, with their effective disclosure end (after any credit repair that applies). A repaired,
-- expired, withdrawn or revoked penalty is absent. The window is re-checked here from the dates, so
-- a row the credit stage marked active by mistake is left out rather than over-disclosed.
-- A 自然人 appears by name and never with a code; free text is masked (macros.sql).
SELECT
    CAST(decision_doc_no AS VARCHAR) AS decision_doc_no,
    mask_pii(party_name, $pii_pattern, $pii_replacement) AS party_name,
    party_type,
    CASE WHEN party_type = '自然人' THEN NULL ELSE CAST(uscc AS VARCHAR) END AS uscc,
    mask_pii(violation_type, $pii_pattern, $pii_replacement) AS violation_type,
    CAST(penalty_categories AS VARCHAR[]) AS penalty_categories,
    mask_pii(penalty_content, $pii_pattern, $pii_replacement) AS penalty_content,
    CAST(fine_amount_wan AS DECIMAL(18, 6)) AS fine_amount_wan,
    CAST(decision_date AS DATE) AS decision_date,
    CAST(disclosure_until AS DATE) AS disclosure_until,
    authority,
    CAST(authority_uscc AS VARCHAR) AS authority_uscc,
    CAST(confiscation_amount_wan AS DECIMAL(18, 6)) AS confiscation_amount_wan
FROM penalties_resolved
WHERE as_of = $as_of
  AND publishable IS TRUE
  AND active IS TRUE
  AND withdrawn IS NOT TRUE
  AND party_type IN ('法人及非法人组织', '自然人', '个体工商户')
  AND decision_date <= $as_of
  AND $as_of < disclosure_until
ORDER BY decision_doc_no, authority_uscc;
