-- Merchants as of T (credit-policy.md section 0): every USCC of a party that is not a 自然人 in
-- the permits, penalties or commitments known at T, or named as a complaint's respondent.
-- A withdrawn (撤销) penalty is as if it had never been decided: it names and creates nobody.
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

-- "Latest" as one sortable number (a struct key makes arg_max twice as slow): permit first, then
-- record date, dataset, file and row. Days since 1900 < 2^17, file and row numbers < 2^40.
CREATE OR REPLACE TEMP MACRO credit_recency(is_permit, record_date, dataset_rank, file_seq, row_number) AS
    ((((CAST(is_permit AS HUGEINT) * 131072 + (record_date - DATE '1900-01-01')) * 8 + dataset_rank)
        * 1099511627776 + file_seq) * 1099511627776 + row_number);

INSERT INTO merchants BY NAME
-- complaints are the most numerous records: only the latest of each (merchant, name) can matter.
-- Materialised: `records` is read twice below, and each read would group the complaints again.
WITH complaint_names AS MATERIALIZED (
    SELECT
        respondent_uscc AS uscc,
        respondent_name AS name,
        max(credit_recency(0, registered_on, 1, _file_seq, _row_number)) AS recency
    FROM credit_complaints_known
    WHERE respondent_uscc IS NOT NULL
    GROUP BY respondent_uscc, respondent_name
),
records AS NOT MATERIALIZED (
    SELECT
        uscc, party_name AS name, party_type AS entity_type, 1 AS is_permit,
        credit_recency(1, decision_date, 4, source_file_seq, source_row_number) AS recency,
        decision_date AS permit_date, industry_code, valid_at_as_of
    FROM permits_resolved
    WHERE as_of = $as_of AND uscc IS NOT NULL
    UNION ALL
    SELECT
        uscc, party_name, party_type, 0, credit_recency(0, decision_date, 3, source_file_seq, source_row_number),
        NULL, NULL, false
    FROM penalties_resolved
    WHERE as_of = $as_of AND uscc IS NOT NULL AND NOT withdrawn
    UNION ALL
    SELECT
        committer_uscc, committer_name, committer_type, 0,
        credit_recency(0, made_on, 2, source_file_seq, source_row_number), NULL, NULL, false
    FROM commitments_resolved
    WHERE as_of = $as_of AND committer_uscc IS NOT NULL AND committer_type IS DISTINCT FROM '自然人'
    UNION ALL
    SELECT uscc, name, NULL, 0, recency, NULL, NULL, false
    FROM complaint_names
),
-- norm_name is costly (a long translate per call), so it runs once per distinct name; the CTEs
-- are materialised so that the optimiser does not push the call back down onto every record.
name_pairs AS MATERIALIZED (
    SELECT DISTINCT uscc, name FROM records
),
name_keys AS MATERIALIZED (
    SELECT name, norm_name(name) AS name_key
    FROM (SELECT DISTINCT name FROM name_pairs)
),
merchant_names AS (
    SELECT p.uscc, list_sort(list(DISTINCT k.name_key) FILTER (WHERE k.name_key IS NOT NULL)) AS names
    FROM name_pairs AS p
    JOIN name_keys AS k USING (name)
    GROUP BY p.uscc
),
merchant AS (
    SELECT
        uscc,
        arg_max(name, recency) AS name,
        coalesce(
            arg_max(entity_type, recency) FILTER (WHERE entity_type IS NOT NULL),
            CASE WHEN substr(uscc, 1, 2) = '92' THEN '个体工商户' ELSE '法人及非法人组织' END
        ) AS entity_type,
        arg_max_null(industry_code, recency) FILTER (WHERE is_permit = 1) AS sector,
        CAST(count(*) FILTER (WHERE valid_at_as_of) AS INTEGER) AS outlets,
        min(permit_date) AS first_permit_date
    FROM records
    GROUP BY uscc
)
SELECT
    $as_of AS as_of,
    m.uscc,
    m.name,
    substr(m.uscc, 3, 6) AS district_code,
    m.entity_type,
    m.sector,
    m.outlets,
    coalesce(n.names, []) AS names,
    m.first_permit_date
FROM merchant AS m
LEFT JOIN merchant_names AS n USING (uscc);
