-- Penalties as of T (credit-policy.md sections 1 and 4): the latest delivery of each
-- (决定书文号, 处罚机关代码) key, then only those decided on or before T. A later delivery with
-- 当前状态 撤销 withdraws the key. Publishability, severity, the disclosure window and the
-- effect of an approved repair are decided here, once, for scoring, lists and publication.
--
-- Repairs: the latest delivery of each 修复决定编号, matched to the penalty by 文书号 and the
-- party's USCC, dated on or before T (a repair dated later did not exist at T). With several,
-- the earliest one governs, since it ends disclosure soonest. A repair of a penalty with a
-- non-repairable (serious) category is kept and flagged `repair_blocked`, never applied. A
-- repair applies only when it shortens the window (section 1): one dated after the window ended,
-- or whose minimum reaches the source's earlier 公示截止期, is kept but leaves the penalty
-- unrepaired, as BL_REPEAT_VIOLATION counts it.
CREATE TABLE IF NOT EXISTS penalties_resolved (
    as_of DATE NOT NULL,
    decision_doc_no VARCHAR,
    authority_uscc VARCHAR,
    party_name VARCHAR,
    party_type VARCHAR,
    uscc VARCHAR,
    violation_type VARCHAR,
    penalty_categories VARCHAR[],
    penalty_content VARCHAR,
    fine_amount_wan DECIMAL(18, 6),
    confiscation_amount_wan DECIMAL(18, 6),
    decision_date DATE,
    authority VARCHAR,
    procedure_type VARCHAR,
    current_status VARCHAR,
    source_disclosure_until DATE,
    withdrawn BOOLEAN,
    publishable BOOLEAN,
    severity VARCHAR,
    nonrepairable BOOLEAN,
    base_disclosure_until DATE,
    repair_no VARCHAR,
    repair_date DATE,
    repair_applied BOOLEAN,
    repair_blocked BOOLEAN,
    disclosure_until DATE,
    active BOOLEAN,
    source_file_seq BIGINT,
    source_path VARCHAR,
    source_row_number BIGINT
);

DELETE FROM penalties_resolved WHERE as_of = $as_of;

INSERT INTO penalties_resolved BY NAME
WITH latest AS (
    SELECT * FROM latest_deliveries('penalties', ['decision_doc_no', 'authority_uscc'])  -- macros.sql
),
flagged AS (
    SELECT
        *,
        CASE WHEN party_type = '自然人' THEN NULL ELSE party_uscc END AS uscc,
        coalesce(list_contains($penalties_withdrawn_statuses, current_status), false) AS withdrawn,
        list_has_any(penalty_categories, $penalties_serious_categories) AS nonrepairable
    FROM latest
    WHERE decision_date <= $as_of
),
published AS (
    SELECT
        *,
        NOT withdrawn
            AND NOT coalesce(list_contains($penalties_unpublished_procedures, procedure_type), false)
            AND NOT list_has_all($penalties_warning_only_categories, penalty_categories) AS publishable
    FROM flagged
),
graded AS (
    SELECT
        *,
        CASE
            WHEN NOT publishable THEN NULL
            WHEN nonrepairable
                OR coalesce(fine_amount_wan, 0) >= $penalties_serious_fine_min_wan
                OR coalesce(confiscation_amount_wan, 0) >= $penalties_serious_confiscation_min_wan
                THEN 'serious'
            WHEN list_has_all($penalties_minor_categories, penalty_categories)
                AND coalesce(fine_amount_wan, 0) < $penalties_minor_fine_below_wan
                AND coalesce(confiscation_amount_wan, 0) = 0
                THEN 'minor'
            ELSE 'general'
        END AS severity
    FROM published
),
windowed AS (
    SELECT
        *,
        CASE
            WHEN severity IS NULL THEN NULL
            WHEN disclosure_until IS NOT NULL AND disclosure_until >= decision_date THEN disclosure_until
            ELSE CAST(decision_date + to_months(CASE severity
                WHEN 'serious' THEN $penalties_disclosure_months_serious
                WHEN 'general' THEN $penalties_disclosure_months_general
                ELSE $penalties_disclosure_months_minor END) AS DATE)
        END AS base_disclosure_until,
        CAST(decision_date + to_months(CASE severity
            WHEN 'serious' THEN $penalties_repair_minimum_months_serious
            WHEN 'general' THEN $penalties_repair_minimum_months_general
            ELSE $penalties_repair_minimum_months_minor END) AS DATE) AS repair_floor
    FROM graded
),
repairs_latest AS (
    SELECT repair_no, party_uscc, penalty_doc_no, repair_date
    FROM latest_deliveries('repairs', ['repair_no'])
),
repairs_known AS (
    SELECT
        penalty_doc_no,
        party_uscc,
        arg_min(repair_no, (repair_date, repair_no)) AS repair_no,
        min(repair_date) AS repair_date
    FROM repairs_latest
    WHERE repair_date <= $as_of
    GROUP BY penalty_doc_no, party_uscc
),
repaired AS (
    SELECT
        w.*,
        r.repair_no,
        r.repair_date,
        r.repair_no IS NOT NULL AND w.publishable AND NOT w.nonrepairable
            AND greatest(r.repair_date, w.repair_floor) < w.base_disclosure_until AS repair_applied,
        r.repair_no IS NOT NULL AND w.publishable AND w.nonrepairable AS repair_blocked
    FROM windowed AS w
    LEFT JOIN repairs_known AS r ON r.penalty_doc_no = w.decision_doc_no AND r.party_uscc = w.uscc
),
effective AS (
    SELECT
        *,
        CASE
            WHEN repair_applied THEN greatest(repair_date, repair_floor)
            ELSE base_disclosure_until
        END AS effective_until
    FROM repaired
)
SELECT
    $as_of AS as_of,
    decision_doc_no,
    authority_uscc,
    party_name,
    party_type,
    uscc,
    violation_type,
    penalty_categories,
    penalty_content,
    fine_amount_wan,
    confiscation_amount_wan,
    decision_date,
    authority,
    procedure_type,
    current_status,
    disclosure_until AS source_disclosure_until,
    withdrawn,
    publishable,
    severity,
    nonrepairable,
    base_disclosure_until,
    repair_no,
    repair_date,
    repair_applied,
    repair_blocked,
    effective_until AS disclosure_until,
    coalesce(publishable AND decision_date <= $as_of AND $as_of < effective_until, false) AS active,
    _file_seq AS source_file_seq,
    _path AS source_path,
    _row_number AS source_row_number
FROM effective;
