-- Score, tier, reason codes and list membership of every merchant as of T
-- (credit-policy.md sections 3 and 5). Every deduction has its own column, and every count
-- behind it, so a tier can be explained without rerunning anything.
--
-- Black list: listed when a trigger holds (credit_black_triggers) and T is before
-- listed_since + the maximum listing period. `listed_since` is the latest basis date,
-- `expected_until` the latest trigger end, capped at listed_since + that period. A merchant
-- whose triggers still hold past the cap is not listed (`black_list_capped`).
CREATE TABLE IF NOT EXISTS merchant_credit (
    as_of DATE NOT NULL,
    uscc VARCHAR NOT NULL,
    name VARCHAR,
    district_code VARCHAR,
    sector VARCHAR,
    entity_type VARCHAR,
    tier VARCHAR NOT NULL,
    score INTEGER NOT NULL,
    reason_codes VARCHAR[] NOT NULL,
    policy_version VARCHAR NOT NULL,
    on_black_list BOOLEAN NOT NULL,
    on_red_list BOOLEAN NOT NULL,
    active_serious INTEGER,
    active_general INTEGER,
    active_minor INTEGER,
    accepted_complaints INTEGER,
    unresolved_complaints INTEGER,
    commitments_breached INTEGER,
    commitments_partial INTEGER,
    permit_lapsed BOOLEAN,
    deduction_penalty_serious INTEGER,
    deduction_penalty_general INTEGER,
    deduction_penalty_minor INTEGER,
    deduction_complaint_volume INTEGER,
    deduction_complaint_unresolved INTEGER,
    deduction_commitment_breach INTEGER,
    deduction_commitment_partial INTEGER,
    deduction_permit_lapsed INTEGER,
    outlets INTEGER,
    first_permit_date DATE,
    black_list_triggers VARCHAR[],
    black_list_since DATE,
    black_list_until DATE,
    black_list_capped BOOLEAN,
    red_tier_a BOOLEAN,
    red_permit_age BOOLEAN,
    red_permit_valid BOOLEAN,
    red_no_recent_penalty BOOLEAN,
    red_complaints BOOLEAN,
    red_commitments BOOLEAN,
    red_recent_penalties INTEGER,
    red_accepted_complaints INTEGER,
    red_unresolved_complaints INTEGER,
    red_commitment_failures INTEGER
);

DELETE FROM merchant_credit WHERE as_of = $as_of;

INSERT INTO merchant_credit BY NAME
WITH pen AS (
    SELECT
        uscc,
        CAST(count(*) FILTER (WHERE active AND severity = 'serious') AS INTEGER) AS active_serious,
        CAST(count(*) FILTER (WHERE active AND severity = 'general') AS INTEGER) AS active_general,
        CAST(count(*) FILTER (WHERE active AND severity = 'minor') AS INTEGER) AS active_minor,
        CAST(count(*) FILTER (
            WHERE publishable
                AND decision_date > CAST($as_of - to_years($red_list_penalty_lookback_years) AS DATE)
        ) AS INTEGER) AS red_recent_penalties
    FROM penalties_resolved
    WHERE as_of = $as_of AND uscc IS NOT NULL
    GROUP BY uscc
),
cmp AS (
    SELECT
        uscc,
        CAST(count(*) FILTER (WHERE in_window AND accepted) AS INTEGER) AS accepted_complaints,
        CAST(count(*) FILTER (WHERE in_window AND unresolved) AS INTEGER) AS unresolved_complaints,
        CAST(count(*) FILTER (
            WHERE accepted AND registered_on > $as_of - $red_list_complaint_window_days
        ) AS INTEGER) AS red_accepted_complaints,
        CAST(count(*) FILTER (
            WHERE unresolved AND registered_on > $as_of - $red_list_complaint_window_days
        ) AS INTEGER) AS red_unresolved_complaints
    FROM complaints_linked  -- only complaints within the longest window (complaints_linked.sql)
    WHERE as_of = $as_of AND uscc IS NOT NULL
    GROUP BY uscc
),
com AS (
    SELECT
        committer_uscc AS uscc,
        CAST(count(*) FILTER (
            WHERE fulfilment_status = '全部未履行'
                AND effective_judgement_date > $as_of - $score_commitments_window_days
        ) AS INTEGER) AS commitments_breached,
        CAST(count(*) FILTER (
            WHERE fulfilment_status = '部分履行'
                AND effective_judgement_date > $as_of - $score_commitments_window_days
        ) AS INTEGER) AS commitments_partial,
        CAST(count(*) FILTER (
            WHERE fulfilment_status IN ('全部未履行', '部分履行')
                AND effective_judgement_date > CAST($as_of - to_years($red_list_commitment_lookback_years) AS DATE)
        ) AS INTEGER) AS red_commitment_failures
    FROM commitments_resolved
    WHERE as_of = $as_of
        AND committer_uscc IS NOT NULL
        AND committer_type IS DISTINCT FROM '自然人'
        AND judgement_known
    GROUP BY committer_uscc
),
lapsed AS (
    SELECT DISTINCT uscc
    FROM permits_resolved
    WHERE as_of = $as_of
        AND uscc IS NOT NULL
        AND valid_to < $as_of
        AND valid_to > $as_of - $score_permit_lapsed_window_days
),
bl AS (
    SELECT
        uscc,
        list(code ORDER BY code_order) AS black_list_triggers,
        max(basis_since) AS black_list_since,
        max(trigger_until) AS trigger_until
    FROM credit_black_triggers
    GROUP BY uscc
),
facts AS (
    SELECT
        m.uscc,
        m.name,
        m.district_code,
        m.sector,
        m.entity_type,
        m.outlets,
        m.first_permit_date,
        coalesce(pen.active_serious, 0) AS active_serious,
        coalesce(pen.active_general, 0) AS active_general,
        coalesce(pen.active_minor, 0) AS active_minor,
        coalesce(pen.red_recent_penalties, 0) AS red_recent_penalties,
        coalesce(cmp.accepted_complaints, 0) AS accepted_complaints,
        coalesce(cmp.unresolved_complaints, 0) AS unresolved_complaints,
        coalesce(cmp.red_accepted_complaints, 0) AS red_accepted_complaints,
        coalesce(cmp.red_unresolved_complaints, 0) AS red_unresolved_complaints,
        coalesce(com.commitments_breached, 0) AS commitments_breached,
        coalesce(com.commitments_partial, 0) AS commitments_partial,
        coalesce(com.red_commitment_failures, 0) AS red_commitment_failures,
        lapsed.uscc IS NOT NULL AND m.outlets = 0 AS permit_lapsed,
        bl.black_list_triggers,
        bl.black_list_since,
        least(bl.trigger_until, CAST(bl.black_list_since + to_years($black_list_max_years) AS DATE))
            AS black_list_until
    FROM merchants AS m
    LEFT JOIN pen USING (uscc)
    LEFT JOIN cmp USING (uscc)
    LEFT JOIN com USING (uscc)
    LEFT JOIN lapsed USING (uscc)
    LEFT JOIN bl USING (uscc)
    WHERE m.as_of = $as_of
),
deducted AS (
    SELECT
        *,
        active_serious * $score_penalty_points_serious AS deduction_penalty_serious,
        active_general * $score_penalty_points_general AS deduction_penalty_general,
        active_minor * $score_penalty_points_minor AS deduction_penalty_minor,
        least(
            greatest(accepted_complaints - $score_complaint_volume_free_accepted, 0)
                * $score_complaint_volume_points_each,
            $score_complaint_volume_cap
        ) AS deduction_complaint_volume,
        least(
            unresolved_complaints * $score_complaint_unresolved_points_each, $score_complaint_unresolved_cap
        ) AS deduction_complaint_unresolved,
        commitments_breached * $score_commitments_breach_points AS deduction_commitment_breach,
        commitments_partial * $score_commitments_partial_points AS deduction_commitment_partial,
        CASE WHEN permit_lapsed THEN $score_permit_lapsed_points ELSE 0 END AS deduction_permit_lapsed,
        black_list_triggers IS NOT NULL
            AND $as_of < CAST(black_list_since + to_years($black_list_max_years) AS DATE) AS on_black_list
    FROM facts
),
scored AS (
    SELECT
        *,
        CAST(greatest(
            $score_start - deduction_penalty_serious - deduction_penalty_general - deduction_penalty_minor
                - deduction_complaint_volume - deduction_complaint_unresolved
                - deduction_commitment_breach - deduction_commitment_partial - deduction_permit_lapsed,
            $score_floor
        ) AS INTEGER) AS score
    FROM deducted
),
tiered AS (
    SELECT
        *,
        CASE
            WHEN on_black_list OR score < $tiers_c_min_score THEN 'D'
            WHEN score < $tiers_b_min_score THEN 'C'
            WHEN score >= $tiers_a_min_score
                AND active_serious + active_general + active_minor = 0
                AND unresolved_complaints = 0
                THEN 'A'
            ELSE 'B'
        END AS tier
    FROM scored
),
red AS (
    SELECT
        *,
        tier = 'A' AS red_tier_a,
        coalesce(first_permit_date <= CAST($as_of - to_years($red_list_min_permit_age_years) AS DATE), false)
            AS red_permit_age,
        outlets > 0 AS red_permit_valid,
        red_recent_penalties = 0 AS red_no_recent_penalty,
        red_accepted_complaints <= $red_list_max_accepted_complaints AND red_unresolved_complaints = 0
            AS red_complaints,
        red_commitment_failures = 0 AS red_commitments
    FROM tiered
)
SELECT
    $as_of AS as_of,
    *,
    list_filter([
        CASE WHEN deduction_penalty_serious > 0 THEN 'PEN_SERIOUS' END,
        CASE WHEN deduction_penalty_general > 0 THEN 'PEN_GENERAL' END,
        CASE WHEN deduction_penalty_minor > 0 THEN 'PEN_MINOR' END,
        CASE WHEN deduction_complaint_volume > 0 THEN 'CMP_VOLUME' END,
        CASE WHEN deduction_complaint_unresolved > 0 THEN 'CMP_UNRESOLVED' END,
        CASE WHEN deduction_commitment_breach > 0 THEN 'COMMIT_BREACH' END,
        CASE WHEN deduction_commitment_partial > 0 THEN 'COMMIT_PARTIAL' END,
        CASE WHEN deduction_permit_lapsed > 0 THEN 'PERMIT_LAPSED' END
    ], lambda c: c IS NOT NULL)
        || CASE WHEN on_black_list THEN black_list_triggers ELSE [] END
        || CASE WHEN on_red_list THEN ['RL_LISTED'] ELSE [] END AS reason_codes,
    $policy_version AS policy_version,
    black_list_triggers IS NOT NULL AND NOT on_black_list AS black_list_capped
FROM (
    SELECT
        *,
        red_tier_a AND entity_type <> '自然人' AND red_permit_age AND red_permit_valid
            AND red_no_recent_penalty AND red_complaints AND red_commitments AS on_red_list
    FROM red
);
