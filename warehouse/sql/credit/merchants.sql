-- Merchants as of T (credit-policy.md section 0): every USCC of a party that is not a 自然人 in
-- the permits, penalties or commitments known at T, or named as a complaint's respondent.
-- `name`: the party name on its latest permit (by decision date, then delivery order), else
-- on its latest other record. `entity_type`: the 行政相对人类别 of the latest typed record the
-- same way, else (a merchant known only from complaints) the USCC's category, 92 being
-- 个体工商户. `sector`: 行业代码 of the latest permit. `outlets`: permits valid at T.
-- `names`: every normalised name it appears under, the keys complaints link by.
CREATE TABLE IF NOT EXISTS merchants (
    as_of DATE NOT NULL,
    uscc VARCHAR NOT NULL,
    name VARCHAR,
    district_code VARCHAR,
    entity_type VARCHAR,
    sector VARCHAR,
    outlets INTEGER,
    names VARCHAR[],
    first_permit_date DATE
);

DELETE FROM merchants WHERE as_of = $as_of;

INSERT INTO merchants BY NAME
WITH records AS (
    SELECT
        uscc, party_name AS name, party_type AS entity_type, 1 AS is_permit, 4 AS dataset_rank,
        decision_date AS record_date, source_file_seq AS file_seq, source_row_number AS row_number,
        industry_code, valid_at_as_of
    FROM permits_resolved
    WHERE as_of = $as_of AND uscc IS NOT NULL
    UNION ALL
    SELECT
        uscc, party_name, party_type, 0, 3, decision_date, source_file_seq, source_row_number,
        NULL, false
    FROM penalties_resolved
    WHERE as_of = $as_of AND uscc IS NOT NULL
    UNION ALL
    SELECT
        committer_uscc, committer_name, committer_type, 0, 2, made_on, source_file_seq, source_row_number,
        NULL, false
    FROM commitments_resolved
    WHERE as_of = $as_of AND committer_uscc IS NOT NULL AND committer_type IS DISTINCT FROM '自然人'
    UNION ALL
    SELECT
        respondent_uscc, respondent_name, NULL, 0, 1, registered_on, _file_seq, _row_number,
        NULL, false
    FROM credit_complaints_known
    WHERE respondent_uscc IS NOT NULL
)
SELECT
    $as_of AS as_of,
    uscc,
    arg_max(name, (is_permit, record_date, dataset_rank, file_seq, row_number)) AS name,
    substr(uscc, 3, 6) AS district_code,
    coalesce(
        arg_max(entity_type, (is_permit, record_date, dataset_rank, file_seq, row_number))
            FILTER (WHERE entity_type IS NOT NULL),
        CASE WHEN substr(uscc, 1, 2) = '92' THEN '个体工商户' ELSE '法人及非法人组织' END
    ) AS entity_type,
    arg_max_null(industry_code, (record_date, file_seq, row_number)) FILTER (WHERE is_permit = 1) AS sector,
    CAST(count(*) FILTER (WHERE valid_at_as_of) AS INTEGER) AS outlets,
    coalesce(list_sort(list_distinct(list(norm_name(name)) FILTER (WHERE norm_name(name) IS NOT NULL))), [])
        AS names,
    min(record_date) FILTER (WHERE is_permit = 1) AS first_permit_date
FROM records
GROUP BY uscc;
