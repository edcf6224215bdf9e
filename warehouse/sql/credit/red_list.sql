-- 诚信红名单 as of T (credit-policy.md section 5). `listed_since` is the first as_of of the
-- current uninterrupted listing: carried over when the merchant was listed at the previous
-- evaluated date (credit_evaluations.previous_as_of), else T itself.
CREATE TABLE IF NOT EXISTS red_list (
    as_of DATE NOT NULL,
    uscc VARCHAR NOT NULL,
    name VARCHAR,
    district_code VARCHAR,
    tier VARCHAR NOT NULL,
    score INTEGER NOT NULL,
    listed_since DATE NOT NULL,
    valid_until DATE NOT NULL,
    reasons VARCHAR NOT NULL,
    policy_version VARCHAR NOT NULL
);

DELETE FROM red_list WHERE as_of = $as_of;

INSERT INTO red_list BY NAME
WITH previous AS (
    SELECT r.uscc, r.listed_since
    FROM red_list AS r
    JOIN credit_evaluations AS e ON e.as_of = $as_of AND r.as_of = e.previous_as_of
)
SELECT
    $as_of AS as_of,
    m.uscc,
    m.name,
    m.district_code,
    m.tier,
    m.score,
    coalesce(p.listed_since, $as_of) AS listed_since,
    CAST($as_of + to_years($red_list_valid_years) AS DATE) AS valid_until,
    '信用等级A（评分' || CAST(m.score AS VARCHAR) || '分）；首次取得行政许可于'
        || CAST(m.first_permit_date AS VARCHAR) || '，已满' || CAST($red_list_min_permit_age_years AS VARCHAR)
        || '年，现持有效行政许可' || CAST(m.outlets AS VARCHAR) || '项；近'
        || CAST($red_list_penalty_lookback_years AS VARCHAR) || '年无行政处罚；近'
        || CAST($red_list_complaint_window_days AS VARCHAR) || '日受理投诉'
        || CAST(m.red_accepted_complaints AS VARCHAR) || '件（不超过'
        || CAST($red_list_max_accepted_complaints AS VARCHAR) || '件），无未解决投诉；近'
        || CAST($red_list_commitment_lookback_years AS VARCHAR)
        || '年无被认定为全部未履行或部分履行的信用承诺。' AS reasons,
    $policy_version AS policy_version
FROM merchant_credit AS m
LEFT JOIN previous AS p USING (uscc)
WHERE m.as_of = $as_of AND m.on_red_list;
