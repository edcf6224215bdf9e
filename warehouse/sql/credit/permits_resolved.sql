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
-- The latest delivery of each key: the rows of the keys delivered more than once are sorted, and
-- the ones a later delivery superseded are left out. Most keys are delivered once, and sorting
-- the rows of every key took twice as long. A row's (_file_seq, _row_number) identifies it
-- within a validated table.
WITH superseded AS (
    SELECT t._file_seq, t._row_number
    FROM permits AS t
    SEMI JOIN (SELECT decision_doc_no, authority_uscc FROM permits GROUP BY ALL HAVING count(*) > 1) AS d
        ON d.decision_doc_no IS NOT DISTINCT FROM t.decision_doc_no
        AND d.authority_uscc IS NOT DISTINCT FROM t.authority_uscc
    QUALIFY row_number() OVER (
        PARTITION BY t.decision_doc_no, t.authority_uscc ORDER BY t._file_seq DESC, t._row_number DESC
    ) > 1
),
latest AS (
    SELECT t.*
    FROM permits AS t
    ANTI JOIN superseded AS s ON s._file_seq = t._file_seq AND s._row_number = t._row_number
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
