-- The city's merchants: one row each, with the identity every dataset reuses.
-- USCC organisation codes and shop names are drawn without replacement: a merchant's rank in
-- a seeded shuffle, times the code space / merchants, plus a random offset below that step.
-- Codes are therefore unique, and names unique except for the twins made on purpose.
CREATE OR REPLACE TABLE merchant_base AS
WITH m AS (
    SELECT
        CAST(i + 1 AS BIGINT) AS mid,
        rnd(i + 1, 'risk') AS u_risk,
        rnd(i + 1, 'chain') < 0.08 AS in_chain,
        rnd(i + 1, 'cat') AS u_cat
    FROM range($n) t(i)
), c AS (
    SELECT
        m.*,
        CASE WHEN in_chain
             THEN 1 + CAST(floor(rnd(mid, 'chain-id') * greatest(1, round($n * 0.08 / 8))) AS BIGINT)
        END AS chain_id,
        CASE
            WHEN u_risk < 0.70 THEN 'clean' WHEN u_risk < 0.90 THEN 'minor'
            WHEN u_risk < 0.98 THEN 'bad' ELSE 'vbad'
        END AS risk,
        CASE
            WHEN in_chain OR u_cat < 0.55 THEN '91' WHEN u_cat < 0.955 THEN '92' WHEN u_cat < 0.985 THEN '93'
            WHEN u_cat < 0.99 THEN 'A1' WHEN u_cat < 0.995 THEN 'N1' ELSE 'Y1'
        END AS category,
        (SELECT district_bag FROM vocab)[1 + CAST(floor(rnd(mid, 'district') * len((SELECT district_bag FROM vocab))) AS BIGINT)]
            AS d_idx,
        spread(row_number() OVER (ORDER BY rnd(mid, 'name-perm'), mid) - 1, 13784320, $n, rnd(mid, 'name-off'))
            AS name_code,
        spread(row_number() OVER (ORDER BY rnd(mid, 'org-perm'), mid) - 1, 27512614111, $n, rnd(mid, 'org-off'))
            AS org_code,
        spread(row_number() OVER (ORDER BY rnd(mid, 'org-perm'), mid) - 1, 1000000000, $n, rnd(mid, 'org-off'))
            AS org_digits
    FROM m
), chains AS (
    SELECT
        chain_id,
        spread(row_number() OVER (ORDER BY rnd(chain_id, 'brand-perm'), chain_id) - 1, 681472,
               count(*) OVER (), rnd(chain_id, 'brand-off')) AS brand_code,
        pick(['便利店', '超市', '大药房', '餐饮', '烘焙', '奶茶', '洗衣'], rnd(chain_id, 'brand-word')) AS brand_word
    FROM (SELECT DISTINCT chain_id FROM c WHERE chain_id IS NOT NULL)
), outlets AS (
    SELECT mid, CAST(row_number() OVER (PARTITION BY chain_id ORDER BY mid) - 1 AS BIGINT) AS outlet_no
    FROM c WHERE chain_id IS NOT NULL
), named AS (
    SELECT
        c.*,
        d.code AS division,
        d.name AS district_name,
        w.word,
        w.company_form,
        CASE WHEN c.in_chain
             THEN CASE WHEN ch.brand_word IN ('便利店', '超市', '大药房') THEN 'F52'
                       WHEN ch.brand_word = '洗衣' THEN 'O80' ELSE 'H62' END
             ELSE w.sector END AS sector,
        substr(v.stem_chars, CAST(c.name_code // 20 % 88 + 1 AS BIGINT), 1)
            || substr(v.stem_chars, CAST(c.name_code // 1760 % 88 + 1 AS BIGINT), 1)
            || CASE WHEN c.name_code // 154880 % 89 = 0 THEN ''
                    ELSE substr(v.stem_chars, CAST(c.name_code // 154880 % 89 AS BIGINT), 1) END AS stem,
        substr(v.stem_chars, CAST(ch.brand_code % 88 + 1 AS BIGINT), 1)
            || substr(v.stem_chars, CAST(ch.brand_code // 88 % 88 + 1 AS BIGINT), 1)
            || substr(v.stem_chars, CAST(ch.brand_code // 7744 % 88 + 1 AS BIGINT), 1) AS brand,
        ch.brand_word,
        o.outlet_no
    FROM c
    JOIN district d USING (d_idx)
    JOIN shop_word w ON w.w_idx = c.name_code % 20
    CROSS JOIN (SELECT stem_chars FROM vocab) v
    LEFT JOIN chains ch USING (chain_id)
    LEFT JOIN outlets o USING (mid)
)
SELECT
    mid, risk, category, d_idx, division, district_name, sector, chain_id, stem,
    CASE
        WHEN in_chain THEN brand || brand_word || '（' || (SELECT places FROM vocab)[1 + outlet_no % 50]
            || CASE WHEN outlet_no >= 50 THEN CAST(outlet_no // 50 + 1 AS VARCHAR) ELSE '' END || '店）'
        WHEN category = '91' THEN '武汉' || stem || company_form
        WHEN category = '92' THEN district_name || stem || word
        WHEN category = '93' THEN '武汉市' || district_name || stem
            || CASE sector WHEN 'F52' THEN '果蔬专业合作社' WHEN 'H62' THEN '农家乐专业合作社' ELSE '农机服务专业合作社' END
        WHEN category = 'N1' THEN '武汉市' || district_name || stem || '村股份经济合作社'
        ELSE '武汉' || stem || word || '服务中心'
    END AS name,
    CASE WHEN in_chain THEN brand || (SELECT places FROM vocab)[1 + outlet_no % 50] || '店' ELSE stem || word END
        AS short_name,
    uscc_full(s17) AS uscc
FROM (
    SELECT *, category || division || CASE
        WHEN rnd(mid, 'org-style') < 0.7 THEN 'MA' || base31(org_code, 7)
        ELSE printf('%09d', org_digits)
    END AS s17
    FROM named
);

-- Twins: a few 个体工商户 share another merchant's name (same name, other district, other
-- code), so complaints that carry only a name are sometimes ambiguous, as in real feeds.
CREATE OR REPLACE TABLE merchant AS
WITH t AS (
    SELECT
        b.*,
        CASE WHEN b.category = '92' AND b.chain_id IS NULL AND rnd(b.mid, 'twin') < 0.04
             THEN 1 + CAST(floor(rnd(b.mid, 'twin-of') * $n) AS BIGINT) END AS twin_of
    FROM merchant_base b
), lapse AS (
    SELECT
        t.*,
        t.chain_id IS NULL AND rnd(t.mid, 'lapsing') < 0.03 AS lapsing,
        CASE t.sector WHEN 'F52' THEN 5 WHEN 'H62' THEN 8 ELSE 4 END AS lapse_kind,
        CASE t.sector WHEN 'O80' THEN 4 ELSE 3 END AS lapse_years,
        rnd(t.mid, 'has-rep') < CASE WHEN t.category = '92' THEN 0.6 ELSE 0.92 END AS has_rep,
        CASE WHEN rnd(t.mid, 'has-rep-id') < CASE WHEN t.category = '92' THEN 0.15 ELSE 0.55 END
             THEN ric_body(t.mid, 'rep-id') END AS rep_id17
    FROM t
)
SELECT
    l.mid, l.risk, l.category,
    CASE WHEN l.category = '92' THEN '个体工商户' ELSE '法人及非法人组织' END AS party_type,
    l.d_idx, l.division, l.district_name, l.sector, l.chain_id, l.uscc,
    coalesce(CASE WHEN o.chain_id IS NULL AND o.mid <> l.mid THEN o.name END, l.name) AS name,
    l.short_name,
    l.twin_of IS NOT NULL AND o.chain_id IS NULL AND o.mid <> l.mid AS is_twin,
    l.lapsing,
    CASE WHEN l.lapsing THEN l.lapse_kind
         WHEN l.sector = 'O80' THEN 4 ELSE 1 END AS main_kind,
    -- Business start: older merchants are more common; a lapsing merchant's only permit
    -- started so that it ran out within the last year.
    CASE WHEN l.lapsing
         THEN add_years($as_of::DATE, -l.lapse_years) - CAST(floor(rnd(l.mid, 'lapse-day') * 364) AS INTEGER)
         ELSE $as_of::DATE - (20 + CAST(floor(sqrt(rnd(l.mid, 'opened')) * 1430) AS INTEGER))
    END AS opened,
    CASE WHEN l.has_rep THEN person_name(l.mid, 'rep') END AS legal_rep,
    CASE WHEN l.has_rep THEN ric_full(l.rep_id17) END AS legal_rep_id,
    CASE WHEN rnd(l.mid, 'has-reg-no') < 0.2
         THEN l.division || CASE WHEN l.category = '92' THEN '6' ELSE '0' END
              || printf('%08d', CAST(floor(rnd(l.mid, 'reg-no') * 100000000) AS BIGINT)) END AS reg_no
FROM lapse l
LEFT JOIN merchant_base o ON o.mid = l.twin_of;

DROP TABLE merchant_base;
