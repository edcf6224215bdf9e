-- 行政许可 records: each merchant's main licence (issued when it opened), and for some an
-- extra licence or a renewal. Lapsing merchants hold one licence that ran out in the last year.
CREATE OR REPLACE TABLE rec AS
WITH x AS (
    SELECT
        m.*,
        CAST(unnest(range(1 + CASE
            WHEN m.lapsing THEN 0
            WHEN rnd(m.mid, 'permit-count') < 0.6 THEN 0
            WHEN rnd(m.mid, 'permit-count') < 0.9 THEN 1
            ELSE 2
        END)) AS BIGINT) AS j
    FROM merchant m
), k AS (
    SELECT
        x.*,
        x.mid * 4 + x.j AS pk,
        CASE WHEN x.j = 0 THEN 0
             ELSE pick(CASE x.sector WHEN 'F52' THEN [2, 3, 5, 7, 0] WHEN 'H62' THEN [2, 4, 5, 6, 7, 8, 0] ELSE [2, 7, 0, 0] END,
                       rnd(x.mid * 4 + x.j, 'permit-kind')) END AS extra
    FROM x
), d AS (
    SELECT
        k.*,
        CASE WHEN k.j = 0 OR k.extra = 0 THEN k.main_kind ELSE k.extra END AS kind,
        k.j > 0 AND k.extra = 0 AS renewal,
        CASE
            WHEN k.j = 0 AND k.lapsing THEN k.opened
            WHEN k.j = 0 THEN least(k.opened + CAST(floor(rnd(k.pk, 'main-day') * 15) AS INTEGER), $as_of::DATE)
            WHEN k.extra = 0 THEN least(k.opened + 365, $as_of::DATE) + CAST(floor(rnd(k.pk, 'renew-day')
                * (($as_of::DATE - least(k.opened + 365, $as_of::DATE)) + 1)) AS INTEGER)
            ELSE k.opened + CAST(floor(rnd(k.pk, 'extra-day') * (($as_of::DATE - k.opened) + 1)) AS INTEGER)
        END AS decision_date
    FROM k
), v AS (
    SELECT
        d.*,
        pk_.doc_name, pk_.permit_category, pk_.cert_name, pk_.years, pk_.dept, pk_.doc_abbr,
        CASE WHEN NOT (d.j = 0 AND d.lapsing) AND rnd(d.pk, 'valid-from-blank') < 0.05 THEN NULL
             ELSE d.decision_date END AS valid_from
    FROM d
    JOIN permit_kind pk_ USING (kind)
), w AS (
    SELECT
        v.*,
        CASE WHEN v.years = 99 THEN DATE '2099-12-31'
             ELSE add_years(coalesce(v.valid_from, v.decision_date), v.years) - 1 END AS valid_to,
        a.a_id, a.name AS authority, a.abbr, a.uscc AS authority_uscc
    FROM v
    JOIN authority a ON a.dept = v.dept AND a.d_idx = CASE WHEN v.dept IN ('tobacco', 'commerce') THEN 0 ELSE v.d_idx END
), s AS (
    SELECT
        w.*,
        row_number() OVER (PARTITION BY w.a_id, w.kind, year(w.decision_date) ORDER BY w.decision_date, w.pk) AS seq,
        row_number() OVER (ORDER BY w.mid, w.j) AS rid
    FROM w
)
SELECT
    rid,
    decision_date AS key_date,
    decision_date AS ready_date,
    uscc,
    false AS is_person,
    true AS can_correct,
    false AS can_revoke,
    name AS party_name,
    party_type,
    reg_no AS party_reg_no,
    legal_rep,
    CASE WHEN legal_rep_id IS NOT NULL THEN '身份证' END AS legal_rep_id_type,
    legal_rep_id AS legal_rep_id_no,
    doc_name AS decision_doc_name,
    abbr || doc_abbr || '〔' || year(decision_date) || '〕第' || printf('%06d', seq) || '号' AS decision_doc_no,
    permit_category,
    cert_name AS certificate_name,
    CASE kind
        WHEN 1 THEN 'JY' || CASE sector WHEN 'H62' THEN '2' ELSE '1' END || division || printf('%06d', seq % 1000000)
            || CAST(CAST(floor(rnd(pk, 'jy-check') * 10) AS INTEGER) AS VARCHAR)
        WHEN 2 THEN uscc
        WHEN 3 THEN division || CAST(year(decision_date) AS VARCHAR) || printf('%05d', seq)
        WHEN 4 THEN '鄂卫公证字〔' || year(decision_date) || '〕第' || division || printf('%05d', seq) || '号'
        WHEN 5 THEN '酒零字' || division || printf('%06d', seq)
        WHEN 6 THEN '鄂排水字第' || year(decision_date) || printf('%05d', seq) || '号'
        WHEN 7 THEN '武城广设字〔' || year(decision_date) || '〕' || seq || '号'
        ELSE 'XCY' || division || printf('%06d', seq)
    END AS permit_no,
    CASE kind
        WHEN 1 THEN CASE sector WHEN 'H62' THEN '热食类食品制售；冷食类食品制售；自制饮品制售'
                                ELSE '预包装食品（含冷藏冷冻食品）销售；散装食品（含熟食）销售' END
        WHEN 2 THEN '设立登记'
        WHEN 3 THEN '卷烟、雪茄烟零售'
        WHEN 4 THEN CASE sector WHEN 'O80' THEN '理发店、美容店、洗浴场所卫生许可' ELSE '公共场所卫生许可' END
        WHEN 5 THEN '酒类商品零售'
        WHEN 6 THEN '向城镇排水设施排放污水'
        WHEN 7 THEN '设置户外招牌、广告设施'
        ELSE '小餐饮经营（热食类食品制售）'
    END AS content,
    decision_date,
    valid_from,
    valid_to,
    authority,
    authority_uscc,
    CASE
        WHEN valid_to < $as_of::DATE AND rnd(pk, 'status-lapsed') < 0.5 THEN '无效'
        WHEN j > 0 AND rnd(pk, 'status-void') < 0.02 THEN '无效'
        ELSE '有效'
    END AS status,
    CASE WHEN rnd(pk, 'source') < 0.75 THEN authority
         WHEN rnd(pk, 'source') < 0.95 THEN '武汉市市场监督管理局' END AS data_source,
    CASE WHEN rnd(pk, 'source') < 0.75 THEN authority_uscc
         WHEN rnd(pk, 'source') < 0.95 THEN (SELECT uscc FROM authority WHERE dept = 'samr' AND d_idx = 0) END
        AS data_source_uscc,
    CASE WHEN renewal THEN '延续' END AS remarks,
    CASE WHEN rnd(pk, 'industry-blank') < 0.08 THEN NULL ELSE sector END AS industry_code
FROM s;
