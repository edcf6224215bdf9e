-- Commitment rows as delivered.
CREATE OR REPLACE TABLE out AS
SELECT
    p.file_id,
    p.line_no,
    r.commitment_code,
    r.committer_name,
    r.committer_type,
    uscc_as_delivered(r.uscc, p.kind, r.rid) AS committer_uscc,
    r.commitment_type,
    r.reason,
    r.content,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') < 0.5 THEN NULL ELSE r.breach_liability END
        AS breach_liability,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') >= 0.5 THEN NULL
         ELSE fmt_date(r.made_on, f.date_style, r.rid * 8 + 1) END AS made_on,
    ph(r.validity, r.rid, 'validity') AS validity,
    r.fulfilment_status,
    coalesce(fmt_date(r.judged_on, f.date_style, r.rid * 8 + 2), ph(NULL, r.rid, 'judged_on')) AS judged_on,
    r.acceptor,
    r.acceptor_code,
    r.disclosure_type,
    ph(r.remarks, r.rid, 'remarks') AS remarks
FROM plan p
JOIN rec r USING (rid)
JOIN files f USING (file_id)
ORDER BY p.file_id, p.line_no;
