-- Permits as of T: the latest delivery of each (文书号, 许可机关代码) key, then only those decided
-- on or before T. A permit is valid at T when start <= T <= 有效期至 (end day included; no end
-- date, or 2099-12-31, never ends), start being 有效期自 or else the decision date, and its
-- 当前状态 is not 无效 (credit-policy.md section 4).
CREATE TABLE IF NOT EXISTS permits_resolved (
    as_of DATE NOT NULL,
    decision_doc_no VARCHAR,
    authority_uscc VARCHAR,
    party_name VARCHAR,
    party_type VARCHAR,
    uscc VARCHAR,
    decision_doc_name VARCHAR,
    permit_category VARCHAR,
    certificate_name VARCHAR,
    permit_no VARCHAR,
    content VARCHAR,
    decision_date DATE,
    valid_from DATE,
    valid_to DATE,
    authority VARCHAR,
    status VARCHAR,
    industry_code VARCHAR,
    valid_at_as_of BOOLEAN,
    source_file_seq BIGINT,
    source_path VARCHAR,
    source_row_number BIGINT
);

DELETE FROM permits_resolved WHERE as_of = $as_of;

INSERT INTO permits_resolved BY NAME
WITH latest AS (
    SELECT * FROM latest_deliveries('permits', ['decision_doc_no', 'authority_uscc'])  -- macros.sql
)
SELECT
    $as_of AS as_of,
    decision_doc_no,
    authority_uscc,
    party_name,
    party_type,
    CASE WHEN party_type = '自然人' THEN NULL ELSE party_uscc END AS uscc,
    decision_doc_name,
    permit_category,
    certificate_name,
    permit_no,
    content,
    decision_date,
    valid_from,
    valid_to,
    authority,
    status,
    industry_code,
    coalesce(status, '') <> '无效'
        AND coalesce(valid_from, decision_date) <= $as_of
        AND (valid_to IS NULL OR $as_of <= valid_to) AS valid_at_as_of,
    _file_seq AS source_file_seq,
    _path AS source_path,
    _row_number AS source_row_number
FROM latest
WHERE decision_date <= $as_of;
