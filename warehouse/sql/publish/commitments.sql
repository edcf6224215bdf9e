-- Published 信用承诺 (data_contracts/published/commitments.yaml): commitments whose 公开类型 is
-- 可向社会公开, made on or before $as_of, by a 法人及非法人组织 or 个体工商户. 违诺责任 is not
-- published; free text is masked. A fulfilment judgement dated after $as_of was not known on
-- that date: the release says 待认定 (not yet judged) and gives no judgement date.
SELECT
    CAST(commitment_code AS VARCHAR) AS commitment_code,
    mask_pii(committer_name, $pii_pattern, $pii_replacement) AS committer_name,
    CAST(committer_uscc AS VARCHAR) AS committer_uscc,
    commitment_type,
    mask_pii(reason, $pii_pattern, $pii_replacement) AS reason,
    CAST(made_on AS DATE) AS made_on,
    CASE WHEN effective_judgement_date <= $as_of THEN fulfilment_status ELSE '待认定' END AS fulfilment_status,
    acceptor,
    committer_type,
    mask_pii(content, $pii_pattern, $pii_replacement) AS content,
    CASE WHEN effective_judgement_date <= $as_of THEN CAST(judged_on AS DATE) END AS judged_on,
    CAST(acceptor_code AS VARCHAR) AS acceptor_code,
    disclosure_type
FROM commitments_resolved
WHERE as_of = $as_of
  AND disclosure_type = '可向社会公开'
  AND committer_type IN ('法人及非法人组织', '个体工商户')
  AND made_on <= $as_of
ORDER BY commitment_code;
