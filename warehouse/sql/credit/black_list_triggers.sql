-- Staging for one evaluation (a temporary table): one row per merchant and black-list trigger
-- that holds at T (credit-policy.md section 5), with the records behind it (`basis_documents`,
-- oldest first), the latest decision or judgement date among them (`basis_since`) and the day
-- the trigger stops if nothing new arrives (`trigger_until`):
--   BL_REVOCATION        the last disclosure end among the qualifying active penalties
--   BL_REPEAT_SERIOUS    the k-th latest disclosure end (k = the minimum count, 2)
--   BL_REPEAT_VIOLATION  the k-th latest decision + the window (k = 3, window 365 days)
--   BL_FALSE_COMMITMENT  the latest judgement + the window
-- `detail` is the Chinese sentence for the list row; it names every 文书号 / 承诺编码.
CREATE OR REPLACE TEMP TABLE credit_black_triggers AS
WITH pen AS (
    SELECT
        *,
        decision_doc_no || '（' || CASE severity WHEN 'serious' THEN '严重' WHEN 'general' THEN '一般' ELSE '轻微' END
            || '，处罚类别：' || array_to_string(penalty_categories, '、')
            || '，' || CAST(decision_date AS VARCHAR) || '作出，公示截止期' || CAST(disclosure_until AS VARCHAR)
            || '）' AS doc_text
    FROM penalties_resolved
    WHERE as_of = $as_of AND uscc IS NOT NULL AND publishable
),
revocation AS (
    SELECT
        uscc,
        'BL_REVOCATION' AS code,
        1 AS code_order,
        list(decision_doc_no ORDER BY decision_date, decision_doc_no) AS basis_documents,
        max(decision_date) AS basis_since,
        max(disclosure_until) AS trigger_until,
        '受到' || array_to_string($black_list_revocation_categories, '、')
            || '等严重行政处罚且仍在公示期内：行政处罚决定书文号 '
            || string_agg(doc_text, '；' ORDER BY decision_date, decision_doc_no) AS detail
    FROM pen
    WHERE active AND severity = 'serious' AND list_has_any(penalty_categories, $black_list_revocation_categories)
    GROUP BY uscc
),
repeat_serious AS (
    SELECT
        uscc,
        'BL_REPEAT_SERIOUS' AS code,
        2 AS code_order,
        list(decision_doc_no ORDER BY decision_date, decision_doc_no) AS basis_documents,
        max(decision_date) AS basis_since,
        list(disclosure_until ORDER BY disclosure_until DESC)[$black_list_repeat_serious_min] AS trigger_until,
        '同时有' || CAST(count(*) AS VARCHAR) || '项严重行政处罚处于公示期内（不少于'
            || CAST($black_list_repeat_serious_min AS VARCHAR) || '项）：行政处罚决定书文号 '
            || string_agg(doc_text, '；' ORDER BY decision_date, decision_doc_no) AS detail
    FROM pen
    WHERE active AND severity = 'serious'
    GROUP BY uscc
    HAVING count(*) >= $black_list_repeat_serious_min
),
repeat_violation AS (
    SELECT
        uscc,
        'BL_REPEAT_VIOLATION' AS code,
        3 AS code_order,
        list(decision_doc_no ORDER BY decision_date, decision_doc_no) AS basis_documents,
        max(decision_date) AS basis_since,
        list(decision_date ORDER BY decision_date DESC)[$black_list_repeat_violation_min]
            + $black_list_repeat_violation_window_days AS trigger_until,
        '近' || CAST($black_list_repeat_violation_window_days AS VARCHAR) || '日内受到'
            || CAST(count(*) AS VARCHAR) || '次未经信用修复的行政处罚（不少于'
            || CAST($black_list_repeat_violation_min AS VARCHAR) || '次）：行政处罚决定书文号 '
            || string_agg(doc_text, '；' ORDER BY decision_date, decision_doc_no) AS detail
    FROM pen
    WHERE NOT repair_applied AND decision_date > $as_of - $black_list_repeat_violation_window_days
    GROUP BY uscc
    HAVING count(*) >= $black_list_repeat_violation_min
),
false_commitment AS (
    SELECT
        committer_uscc AS uscc,
        'BL_FALSE_COMMITMENT' AS code,
        4 AS code_order,
        list(commitment_code ORDER BY effective_judgement_date, commitment_code) AS basis_documents,
        max(effective_judgement_date) AS basis_since,
        max(effective_judgement_date) + $black_list_false_commitment_window_days AS trigger_until,
        '近' || CAST($black_list_false_commitment_window_days AS VARCHAR)
            || '日内信用承诺被认定为全部未履行：承诺编码 '
            || string_agg(
                commitment_code || '（' || commitment_type || '，' || coalesce(acceptor, '') || '受理，'
                    || CAST(made_on AS VARCHAR) || '作出，' || CAST(effective_judgement_date AS VARCHAR) || '认定）',
                '；' ORDER BY effective_judgement_date, commitment_code
            ) AS detail
    FROM commitments_resolved
    WHERE as_of = $as_of
        AND committer_uscc IS NOT NULL
        AND committer_type IS DISTINCT FROM '自然人'
        AND list_contains($black_list_false_commitment_types, commitment_type)
        AND fulfilment_status = '全部未履行'
        AND effective_judgement_date <= $as_of
        AND effective_judgement_date > $as_of - $black_list_false_commitment_window_days
    GROUP BY committer_uscc
)
SELECT * FROM revocation
UNION ALL BY NAME SELECT * FROM repeat_serious
UNION ALL BY NAME SELECT * FROM repeat_violation
UNION ALL BY NAME SELECT * FROM false_commitment;
