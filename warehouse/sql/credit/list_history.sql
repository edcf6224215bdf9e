-- Entries to and exits from both lists at T, against the previous evaluated date
-- (credit_evaluations.previous_as_of, NULL at the first evaluation: every listed merchant
-- entered). An entry carries the listing's codes and reason. An exit carries the codes of the
-- listing that ended and says which condition ended it: for the black list, the state at T of
-- every former basis document (撤销, 信用修复, 公示期届满, ...), or the maximum listing period;
-- for the red list, every condition that fails at T.
CREATE TABLE IF NOT EXISTS list_history (
    as_of DATE NOT NULL,
    previous_as_of DATE,
    list VARCHAR NOT NULL,
    uscc VARCHAR NOT NULL,
    name VARCHAR,
    event VARCHAR NOT NULL,
    reason_codes VARCHAR[] NOT NULL,
    reason_text VARCHAR NOT NULL
);

DELETE FROM list_history WHERE as_of = $as_of;

INSERT INTO list_history BY NAME
WITH evaluation AS (
    SELECT previous_as_of FROM credit_evaluations WHERE as_of = $as_of
),
black_now AS (
    SELECT * FROM black_list WHERE as_of = $as_of
),
black_before AS (
    SELECT b.* FROM black_list AS b JOIN evaluation AS e ON b.as_of = e.previous_as_of
),
red_now AS (
    SELECT * FROM red_list WHERE as_of = $as_of
),
red_before AS (
    SELECT r.* FROM red_list AS r JOIN evaluation AS e ON r.as_of = e.previous_as_of
),
merchant_now AS (
    SELECT * FROM merchant_credit WHERE as_of = $as_of
),
black_left AS (
    SELECT b.* FROM black_before AS b WHERE b.uscc NOT IN (SELECT uscc FROM black_now)
),
black_left_documents AS (
    SELECT
        uscc,
        unnest(basis_documents) AS document,
        unnest(range(1, len(basis_documents) + 1)) AS position
    FROM black_left
),
penalty_state AS (
    SELECT
        d.uscc,
        d.document,
        arg_min(
            CASE
                WHEN p.withdrawn THEN '处罚决定已撤销'
                WHEN p.repair_applied THEN '已于' || CAST(p.repair_date AS VARCHAR) || '完成信用修复'
                WHEN NOT p.publishable THEN '已不予公示'
                WHEN NOT p.active THEN '公示期已于' || CAST(p.disclosure_until AS VARCHAR) || '届满'
                ELSE '仍在公示期内，但已不满足列入条件'
            END,
            p.authority_uscc
        ) AS state
    FROM black_left_documents AS d
    JOIN penalties_resolved AS p
        ON p.as_of = $as_of AND p.uscc = d.uscc AND p.decision_doc_no = d.document
    GROUP BY d.uscc, d.document
),
commitment_state AS (
    SELECT
        d.uscc,
        d.document,
        CASE
            WHEN c.fulfilment_status <> '全部未履行' OR NOT c.judgement_known
                THEN '履行状态已更正为' || c.fulfilment_status
            WHEN NOT list_contains($black_list_false_commitment_types, c.commitment_type)
                THEN '承诺类型已更正为' || c.commitment_type
            ELSE '认定日期' || CAST(c.effective_judgement_date AS VARCHAR) || '已超出近'
                || CAST($black_list_false_commitment_window_days AS VARCHAR) || '日的统计期'
        END AS state
    FROM black_left_documents AS d
    JOIN commitments_resolved AS c
        ON c.as_of = $as_of AND c.committer_uscc = d.uscc AND c.commitment_code = d.document
),
black_left_reasons AS (
    SELECT
        d.uscc,
        string_agg(
            d.document || '：' || coalesce(ps.state, cs.state, '本期数据中已无此记录'), '；' ORDER BY d.position
        ) AS documents_text
    FROM black_left_documents AS d
    LEFT JOIN penalty_state AS ps USING (uscc, document)
    LEFT JOIN commitment_state AS cs USING (uscc, document)
    GROUP BY d.uscc
),
red_left AS (
    SELECT r.* FROM red_before AS r WHERE r.uscc NOT IN (SELECT uscc FROM red_now)
)
SELECT
    $as_of AS as_of,
    (SELECT previous_as_of FROM evaluation) AS previous_as_of,
    'black' AS list,
    uscc,
    name,
    'entered' AS event,
    reason_codes,
    reason_text
FROM black_now
WHERE uscc NOT IN (SELECT uscc FROM black_before)
UNION ALL
SELECT
    $as_of,
    (SELECT previous_as_of FROM evaluation),
    'black',
    l.uscc,
    coalesce(m.name, l.name),
    'left',
    l.reason_codes,
    '移出失信黑名单：'
        || CASE
            WHEN m.black_list_capped
                THEN '自最近一项列入依据起已满' || CAST($black_list_max_years AS VARCHAR) || '年的最长列入期限；'
            ELSE '列入条件已不再满足；'
        END
        || '原列入依据 ' || coalesce(r.documents_text, '') || '。'
FROM black_left AS l
LEFT JOIN merchant_now AS m USING (uscc)
LEFT JOIN black_left_reasons AS r USING (uscc)
UNION ALL
SELECT
    $as_of,
    (SELECT previous_as_of FROM evaluation),
    'red',
    uscc,
    name,
    'entered',
    ['RL_LISTED'],
    '列入诚信红名单：' || reasons
FROM red_now
WHERE uscc NOT IN (SELECT uscc FROM red_before)
UNION ALL
SELECT
    $as_of,
    (SELECT previous_as_of FROM evaluation),
    'red',
    l.uscc,
    coalesce(m.name, l.name),
    'left',
    ['RL_LISTED'],
    '移出诚信红名单：'
        || CASE
            WHEN m.uscc IS NULL THEN '本期评价中已无该商户的记录'
            ELSE array_to_string(list_filter([
                CASE WHEN NOT m.red_tier_a
                    THEN '信用等级为' || m.tier || '（评分' || CAST(m.score AS VARCHAR) || '分），不再是A级' END,
                CASE WHEN NOT m.red_permit_age
                    THEN '首次取得行政许可不满' || CAST($red_list_min_permit_age_years AS VARCHAR) || '年' END,
                CASE WHEN NOT m.red_permit_valid THEN '当前无有效行政许可' END,
                CASE WHEN NOT m.red_no_recent_penalty
                    THEN '近' || CAST($red_list_penalty_lookback_years AS VARCHAR) || '年内有行政处罚' END,
                CASE WHEN NOT m.red_complaints
                    THEN '近' || CAST($red_list_complaint_window_days AS VARCHAR) || '日受理投诉'
                        || CAST(m.red_accepted_complaints AS VARCHAR) || '件、未解决投诉'
                        || CAST(m.red_unresolved_complaints AS VARCHAR) || '件，超出红名单条件' END,
                CASE WHEN NOT m.red_commitments
                    THEN '近' || CAST($red_list_commitment_lookback_years AS VARCHAR)
                        || '年内有信用承诺被认定为全部未履行或部分履行' END
            ], lambda x: x IS NOT NULL), '；')
        END
        || '。'
FROM red_left AS l
LEFT JOIN merchant_now AS m USING (uscc);
