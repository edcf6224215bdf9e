-- Penalty rows as delivered. A corrected key's first version carries a fine ten times too
-- large (or, without a fine, no real 处罚内容); the correction has the right value.
-- A revocation repeats the row with 当前状态 撤销.
CREATE OR REPLACE TABLE out AS
SELECT
    p.file_id,
    p.line_no,
    r.party_name,
    r.party_type,
    uscc_as_delivered(r.uscc, p.kind, r.rid) AS party_uscc,
    ph(r.party_reg_no, r.rid, 'reg_no') AS party_reg_no,
    ph(NULL, r.rid, 'org_code') AS party_org_code,
    ph(NULL, r.rid, 'tax_no') AS party_tax_no,
    ph(NULL, r.rid, 'institution_no') AS party_institution_no,
    ph(NULL, r.rid, 'social_org_no') AS party_social_org_no,
    r.legal_rep,
    ph(r.legal_rep_id_type, r.rid, 'rep_id_type') AS legal_rep_id_type,
    r.legal_rep_id_no,
    r.party_id_type,
    r.party_id_no,
    r.decision_doc_no,
    r.violation_type,
    r.violation_facts,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') < 0.5 THEN NULL ELSE r.legal_basis END
        AS legal_basis,
    r.penalty_categories,
    CASE WHEN p.version = 0 AND p.corrected AND r.fine_amount_wan IS NULL THEN '见处罚决定书'
         ELSE r.penalty_content END AS penalty_content,
    fmt_amount(CASE WHEN p.version = 0 AND p.corrected THEN r.fine_amount_wan * 10 ELSE r.fine_amount_wan END)
        AS fine_amount_wan,
    fmt_amount(r.confiscation_amount_wan) AS confiscation_amount_wan,
    ph(r.suspended_license, r.rid, 'suspended_license') AS suspended_license,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') >= 0.5 THEN NULL
         ELSE fmt_date(r.decision_date, f.date_style, r.rid * 8 + 1) END AS decision_date,
    fmt_date(r.penalty_validity, f.date_style, r.rid * 8 + 2) AS penalty_validity,
    coalesce(fmt_date(r.disclosure_until, f.date_style, r.rid * 8 + 3), ph(NULL, r.rid, 'disclosure_until'))
        AS disclosure_until,
    r.authority,
    r.authority_uscc,
    r.data_source,
    r.data_source_uscc,
    CASE
        WHEN p.version = 1 THEN '更正：' || CASE WHEN r.fine_amount_wan IS NULL THEN '处罚内容' ELSE '罚款金额' END
        WHEN p.version = 2 THEN '原处罚决定已撤销'
        ELSE ph(r.remarks, r.rid, 'remarks')
    END AS remarks,
    r.procedure_type,
    CASE WHEN p.version = 2 THEN '撤销' ELSE r.current_status END AS current_status
FROM plan p
JOIN rec r USING (rid)
JOIN files f USING (file_id)
ORDER BY p.file_id, p.line_no;

-- What the repairs need to know about penalties: the key, the party and whether it is
-- publishable (普通程序, not warning-only, not revoked).
CREATE OR REPLACE TABLE pen_keep AS
SELECT
    r.rid AS pen_rid, r.party_name, r.uscc, r.is_person, r.decision_doc_no, r.authority, r.decision_date, r.cls,
    coalesce(r.procedure_type, '普通程序') = '普通程序' AND r.cats <> ['警告']
        AND r.rid NOT IN (SELECT rid FROM plan WHERE version = 2) AS publishable
FROM rec r;
