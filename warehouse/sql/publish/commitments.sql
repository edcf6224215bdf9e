-- Published 信用承诺 (data_contracts/published/commitments.yaml): commitments whose 公开类型 is
-- 可向社会公开, made on or before $as_of, by a 法人及非法人组织 or 个体工商户. 违诺责任 is not
-- published; free text is masked.
SELECT
    CAST(commitment_code AS VARCHAR) AS commitment_code,
    mask_pii(committer_name, $pii_pattern, $pii_replacement) AS committer_name,
    CAST(committer_uscc AS VARCHAR) AS committer_uscc,
    commitment_type,
    mask_pii(reason, $pii_pattern, $pii_replacement) AS reason,
    CAST(made_on AS DATE) AS made_on,
    fulfilment_status,
    acceptor,
    committer_type,
    mask_pii(content, $pii_pattern, $pii_replacement) AS content,
    CAST(judged_on AS DATE) AS judged_on,
    CAST(acceptor_code AS VARCHAR) AS acceptor_code,
    disclosure_type
FROM commitments_resolved
WHERE as_of = $as_of
  AND disclosure_type = '可向社会公开'
  AND committer_type IN ('法人及非法人组织', '个体工商户')
  AND made_on <= $as_of
ORDER BY commitment_code;
