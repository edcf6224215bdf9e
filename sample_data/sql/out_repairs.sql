-- Repair rows as delivered.
CREATE OR REPLACE TABLE out AS
SELECT
    p.file_id,
    p.line_no,
    r.repair_no,
    r.party_name,
    uscc_as_delivered(r.uscc, p.kind, r.rid) AS party_uscc,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') >= 0.5 THEN NULL ELSE r.penalty_doc_no END
        AS penalty_doc_no,
    fmt_date(r.repair_date, f.date_style, r.rid * 8 + 1) AS repair_date,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') < 0.5 THEN NULL ELSE r.repair_authority END
        AS repair_authority
FROM plan p
JOIN rec r USING (rid)
JOIN files f USING (file_id)
ORDER BY p.file_id, p.line_no;
