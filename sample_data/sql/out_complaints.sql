-- Complaint rows as delivered. Rows whose slot left the respondent code blank carry a name
-- to link by: the registered name, the same name with half-width parentheses and spaces, or
-- the shop's informal name (which links to nothing). Updated complaints are first sent as
-- 处理中 with no 办结日期; the correction brings the final state.
CREATE OR REPLACE TABLE out AS
SELECT
    p.file_id,
    p.line_no,
    r.complaint_no,
    CASE WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') >= 0.75 THEN NULL
         ELSE fmt_date(r.registered_on, f.date_style, r.rid * 8 + 1) END AS registered_on,
    CASE
        WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') >= 0.5 AND rnd(r.rid, 'missing') < 0.75 THEN NULL
        WHEN p.kind = 'blank_uscc' AND rnd(r.rid, 'blank-name') < 0.25 THEN r.short_name
        WHEN (p.kind = 'blank_uscc' AND rnd(r.rid, 'blank-name') < 0.55) OR rnd(r.rid, 'name-variant') < 0.08
            THEN replace(replace(r.name, '（', ' ('), '）', ')')
        ELSE r.name
    END AS respondent_name,
    uscc_as_delivered(r.uscc, p.kind, r.rid) AS respondent_uscc,
    r.channel,
    r.category,
    CASE
        WHEN p.kind = 'missing_required' AND rnd(r.rid, 'missing') < 0.5 THEN NULL
        WHEN p.version = 0 AND p.corrected THEN '处理中'
        ELSE r.handling_status
    END AS handling_status,
    CASE WHEN p.version = 0 AND p.corrected THEN ph(NULL, r.rid, 'closed_on')
         ELSE coalesce(fmt_date(r.closed_on, f.date_style, r.rid * 8 + 2), ph(NULL, r.rid, 'closed_on')) END
        AS closed_on,
    fmt_amount(r.amount_yuan) AS amount_yuan,
    CASE WHEN p.version = 0 AND p.corrected THEN NULL ELSE fmt_amount(r.recovered_yuan) END AS recovered_yuan,
    r.complainant_name,
    r.complainant_phone,
    r.complaint_text
FROM plan p
JOIN rec r USING (rid)
JOIN files f USING (file_id)
ORDER BY p.file_id, p.line_no;
