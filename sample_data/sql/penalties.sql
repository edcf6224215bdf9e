-- 行政处罚 records. Merchants of risk class minor / bad / vbad get 1-2 / 2-3 / 3-6 penalties;
-- vbad ones within a 300-day window (repeat offenders), half of those in the last year.
-- 自然人 parties (street vendors and the like) get one, sometimes two, minor penalties.
CREATE OR REPLACE TABLE pen_party AS
SELECT
    mid AS party_key, false AS is_person, name AS party_name, party_type, uscc, d_idx, division, sector,
    legal_rep, legal_rep_id, reg_no, risk, opened,
    CASE risk
        WHEN 'minor' THEN 1 + CAST(rnd(mid, 'pen-n') < 0.2 AS INTEGER)
        WHEN 'bad' THEN 2 + CAST(rnd(mid, 'pen-n') < 0.5 AS INTEGER)
        WHEN 'vbad' THEN 3 + CAST(floor(rnd(mid, 'pen-n') * 4) AS INTEGER)
        ELSE 0
    END AS n_pen,
    CAST(NULL AS VARCHAR) AS id_no
FROM merchant
WHERE risk <> 'clean'
UNION ALL
SELECT
    party_key, true, CASE WHEN rnd(party_key, 'mask') < 0.5 THEN mask_name(full_name) ELSE full_name END,
    '自然人', NULL, d_idx, division, 'F52', NULL, NULL, NULL, 'person', $as_of::DATE - 1460,
    1 + CAST(rnd(party_key, 'pen-n') < 0.1 AS INTEGER),
    ric_full(id17)
FROM (
    SELECT
        1000000000000 + i AS party_key,
        person_name(1000000000000 + i, 'person') AS full_name,
        ric_body(1000000000000 + i, 'person-id') AS id17,
        d.d_idx, d.code AS division
    FROM range($persons) t(i)
    JOIN district d ON d.d_idx = (SELECT district_bag FROM vocab)[
        1 + CAST(floor(rnd(1000000000000 + i, 'district') * len((SELECT district_bag FROM vocab))) AS BIGINT)]
);

CREATE OR REPLACE TABLE rec AS
WITH x AS (
    SELECT p.*, CAST(unnest(range(n_pen)) AS BIGINT) AS j FROM pen_party p WHERE n_pen > 0
), y AS (
    SELECT
        x.*,
        x.party_key * 8 + x.j AS pk,
        wpick(['warning', 'minor', 'general', 'serious'],
              CASE x.risk
                  WHEN 'person' THEN [0.3, 0.8, 1.0, 1.0]
                  WHEN 'minor' THEN [0.25, 0.70, 0.97, 1.0]
                  WHEN 'bad' THEN [0.10, 0.45, 0.90, 1.0]
                  ELSE [0.05, 0.25, 0.70, 1.0]
              END,
              rnd(x.party_key * 8 + x.j, 'pen-class')) AS cls,
        -- A repeat offender's window: the last year for half of them, earlier for the rest.
        greatest(x.opened, CASE
            WHEN rnd(x.party_key, 'vbad-recent') < 0.5
                THEN $as_of::DATE - 364 + CAST(floor(rnd(x.party_key, 'vbad-start') * 150) AS INTEGER)
            ELSE x.opened + CAST(floor(rnd(x.party_key, 'vbad-start')
                * greatest(0, ($as_of::DATE - 300) - x.opened)) AS INTEGER)
        END) AS window_start
    FROM x
), dated AS (
    SELECT
        y.*,
        CASE WHEN y.risk = 'vbad'
             THEN y.window_start + CAST(floor(rnd(y.pk, 'pen-day')
                  * (least(300, $as_of::DATE - y.window_start) + 1)) AS INTEGER)
             ELSE y.opened + CAST(floor(rnd(y.pk, 'pen-day') * (($as_of::DATE - y.opened) + 1)) AS INTEGER)
        END AS decision_date
    FROM y
), v AS (
    SELECT
        d.*,
        vi.vtype, vi.basis, vi.facts, vi.dept, vi.cats,
        CASE WHEN list_contains(vi.cats, '罚款')
             THEN CAST(round(vi.fine_lo + rnd(d.pk, 'fine') * (vi.fine_hi - vi.fine_lo), 2) AS DECIMAL(18, 2)) END AS fine,
        CASE WHEN list_contains(vi.cats, '没收违法所得')
             THEN CAST(round(0.01 + rnd(d.pk, 'confiscation') * 1.49, 2) AS DECIMAL(18, 2)) END AS confiscation
    FROM dated d
    JOIN violation_pick vp ON vp.cls = d.cls AND vp.who = CASE WHEN d.is_person THEN 'person' ELSE 'org' END
    JOIN violation vi ON vi.v_id = pick(vp.ids, rnd(d.pk, 'violation'))
), a AS (
    SELECT
        v.*,
        au.a_id, au.name AS authority, au.abbr, au.uscc AS authority_uscc,
        CASE
            WHEN v.cls = 'warning' AND rnd(v.pk, 'procedure') < 0.75 THEN '简易程序'
            WHEN v.cls = 'minor' AND v.fine <= 0.3 AND rnd(v.pk, 'procedure') < 0.4 THEN '简易程序'
            WHEN rnd(v.pk, 'procedure-blank') < 0.04 THEN NULL
            ELSE '普通程序'
        END AS procedure_type
    FROM v
    JOIN authority au ON au.dept = v.dept AND au.d_idx = CASE WHEN v.dept IN ('tobacco', 'commerce') THEN 0 ELSE v.d_idx END
), s AS (
    SELECT
        a.*,
        row_number() OVER (
            PARTITION BY a.a_id, coalesce(a.procedure_type, '') = '简易程序', year(a.decision_date)
            ORDER BY a.decision_date, a.pk) AS seq,
        row_number() OVER (ORDER BY a.party_key, a.j) AS rid
    FROM a
)
SELECT
    rid,
    decision_date AS key_date,
    decision_date AS ready_date,
    uscc,
    is_person,
    true AS can_correct,
    true AS can_revoke,
    party_key,
    cls,
    cats,
    party_name,
    party_type,
    reg_no AS party_reg_no,
    CASE WHEN NOT is_person THEN legal_rep END AS legal_rep,
    CASE WHEN NOT is_person AND legal_rep_id IS NOT NULL THEN '身份证' END AS legal_rep_id_type,
    CASE WHEN NOT is_person THEN legal_rep_id END AS legal_rep_id_no,
    CASE WHEN is_person THEN '身份证' END AS party_id_type,
    id_no AS party_id_no,
    abbr || CASE WHEN procedure_type = '简易程序' THEN '简罚' ELSE '罚' END
        || '〔' || year(decision_date) || '〕' || seq || '号' AS decision_doc_no,
    vtype AS violation_type,
    '经查，' || year(decision_date) || '年' || month(decision_date) || '月，' || facts || '。' AS violation_facts,
    basis AS legal_basis,
    -- Senders separate categories with ASCII or full-width semicolons.
    CASE WHEN rnd(pk, 'separator') < 0.5 THEN array_to_string(cats, ';') ELSE array_to_string(cats, '；') END
        AS penalty_categories,
    array_to_string(list_transform(cats, lambda c: CASE c
        WHEN '罚款' THEN '罚款人民币' || CAST(CAST(fine * 10000 AS BIGINT) AS VARCHAR) || '元'
        WHEN '没收违法所得' THEN '没收违法所得人民币' || CAST(CAST(confiscation * 10000 AS BIGINT) AS VARCHAR) || '元'
        WHEN '没收非法财物' THEN '没收涉案商品'
        WHEN '暂扣许可证件' THEN '暂扣食品经营许可证一个月'
        WHEN '吊销许可证件' THEN '吊销食品经营许可证'
        WHEN '责令停产停业' THEN '责令停产停业' || pick(['十五日', '一个月', '三个月'], rnd(pk, 'suspension'))
        WHEN '限制开展生产经营活动' THEN '限制开展生产经营活动六个月'
        ELSE c
    END), '，') AS penalty_content,
    fine AS fine_amount_wan,
    confiscation AS confiscation_amount_wan,
    CASE
        WHEN list_contains(cats, '吊销许可证件') OR list_contains(cats, '暂扣许可证件')
            THEN '食品经营许可证（JY' || CASE sector WHEN 'H62' THEN '2' ELSE '1' END || division
                 || printf('%07d', CAST(floor(rnd(pk, 'license-no') * 10000000) AS INTEGER)) || '）'
        WHEN list_contains(cats, '吊销营业执照') THEN '营业执照（' || uscc || '）'
    END AS suspended_license,
    decision_date,
    CASE cls WHEN 'serious' THEN add_years(decision_date, 3) WHEN 'general' THEN add_years(decision_date, 1)
             ELSE add_months(decision_date, 3) END AS penalty_validity,
    CASE WHEN cls <> 'warning' AND rnd(pk, 'disclosure') < 0.25
         THEN CASE
             WHEN rnd(pk, 'disclosure-period') < 0.2 THEN add_months(decision_date, 6)
             WHEN cls = 'serious' THEN add_years(decision_date, 3)
             WHEN cls = 'general' THEN add_years(decision_date, 1)
             ELSE add_months(decision_date, 3)
         END
    END AS disclosure_until,
    authority,
    authority_uscc,
    CASE WHEN rnd(pk, 'source') < 0.7 THEN authority ELSE '武汉市市场监督管理局' END AS data_source,
    CASE WHEN rnd(pk, 'source') < 0.7 THEN authority_uscc
         ELSE (SELECT uscc FROM authority WHERE dept = 'samr' AND d_idx = 0) END AS data_source_uscc,
    CAST(NULL AS VARCHAR) AS remarks,
    procedure_type,
    CASE WHEN rnd(pk, 'status') < 0.85 THEN '正常' END AS current_status
FROM s;

DROP TABLE pen_party;
