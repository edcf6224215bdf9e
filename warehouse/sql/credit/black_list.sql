-- 失信黑名单 as of T (credit-policy.md section 5): one row per listed merchant, with its basis
-- documents, the Chinese reason naming them, the legal basis and how to be removed.
CREATE TABLE IF NOT EXISTS black_list (
    as_of DATE NOT NULL,
    uscc VARCHAR NOT NULL,
    name VARCHAR,
    district_code VARCHAR,
    listed_since DATE NOT NULL,
    expected_until DATE NOT NULL,
    reason_codes VARCHAR[] NOT NULL,
    basis_documents VARCHAR[] NOT NULL,
    reason_text VARCHAR NOT NULL,
    legal_basis VARCHAR NOT NULL,
    removal_conditions VARCHAR NOT NULL,
    policy_version VARCHAR NOT NULL
);

DELETE FROM black_list WHERE as_of = $as_of;

INSERT INTO black_list BY NAME
WITH triggers AS (
    SELECT
        t.uscc,
        list(t.code ORDER BY t.code_order) AS reason_codes,
        flatten(list(t.basis_documents ORDER BY t.code_order)) AS all_documents,
        string_agg(t.detail, '；' ORDER BY t.code_order) AS details,
        bool_or(t.code <> 'BL_FALSE_COMMITMENT') AS penalty_based,
        bool_or(t.code = 'BL_FALSE_COMMITMENT') AS commitment_based
    FROM credit_black_triggers AS t
    GROUP BY t.uscc
)
SELECT
    $as_of AS as_of,
    m.uscc,
    m.name,
    m.district_code,
    m.black_list_since AS listed_since,
    m.black_list_until AS expected_until,
    t.reason_codes,
    list_filter(t.all_documents, lambda d, i: list_position(t.all_documents, d) = i) AS basis_documents,
    '列入失信黑名单：' || t.details || '。' AS reason_text,
    concat_ws(
        '；',
        CASE WHEN t.penalty_based THEN $black_list_legal_basis_penalties END,
        CASE WHEN t.commitment_based THEN $black_list_legal_basis_commitments END,
        '信用评价政策 ' || $policy_version || ' 第5节（失信黑名单）'
    ) AS legal_basis,
    $black_list_removal_conditions || '按现有记录，预计于' || CAST(m.black_list_until AS VARCHAR)
        || '移出（自最近一项列入依据起最长列入' || CAST($black_list_max_years AS VARCHAR) || '年）。'
        AS removal_conditions,
    $policy_version AS policy_version
FROM merchant_credit AS m
JOIN triggers AS t USING (uscc)
WHERE m.as_of = $as_of AND m.on_black_list;
