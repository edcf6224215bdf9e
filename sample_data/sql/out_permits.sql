-- Permit rows as delivered: defects from the row's slot, the file's date style, placeholders,
-- and for corrected keys a wrong first version (有效期至 a year short, or the wrong 许可类别
-- for a no-expiry licence) fixed by the later correction.
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
    CAST(NULL AS VARCHAR) AS party_id_type,
    CAST(NULL AS VARCHAR) AS party_id_no,
    r.decision_doc_name,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') >= 0.7 THEN NULL ELSE r.decision_doc_no END
        AS decision_doc_no,
    CASE WHEN p.version = 0 AND p.corrected AND r.valid_to = DATE '2099-12-31' THEN '其他' ELSE r.permit_category END
        AS permit_category,
    r.certificate_name,
    r.permit_no,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') < 0.4 THEN NULL ELSE r.content END AS content,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') >= 0.4 AND rnd(r.rid, 'missing') < 0.7 THEN NULL
         ELSE fmt_date(r.decision_date, f.date_style, r.rid * 8 + 1) END AS decision_date,
    fmt_date(CASE WHEN p.kind = 'valid_from_after_valid_to' THEN coalesce(r.valid_from, r.decision_date)
                  ELSE r.valid_from END, f.date_style, r.rid * 8 + 2) AS valid_from,
    fmt_date(CASE
        WHEN p.kind = 'valid_from_after_valid_to'
            THEN coalesce(r.valid_from, r.decision_date) - (30 + CAST(floor(rnd(r.rid, 'order-gap') * 300) AS INTEGER))
        WHEN p.version = 0 AND p.corrected AND r.valid_to <> DATE '2099-12-31' THEN add_years(r.valid_to, -1)
        ELSE r.valid_to
    END, f.date_style, r.rid * 8 + 3) AS valid_to,
    r.authority,
    r.authority_uscc,
    r.status,
    r.data_source,
    r.data_source_uscc,
    CASE WHEN p.version = 1 THEN '更正：' || CASE WHEN r.valid_to = DATE '2099-12-31' THEN '许可类别' ELSE '有效期至' END
         ELSE ph(r.remarks, r.rid, 'remarks') END AS remarks,
    r.industry_code
FROM plan p
JOIN rec r USING (rid)
JOIN files f USING (file_id)
ORDER BY p.file_id, p.line_no;
