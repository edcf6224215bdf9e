-- 信用承诺 records: a geometric number per merchant (mean 0.25 for clean merchants, 0.8 for
-- the worst); the riskier the merchant, the likelier a 部分履行 or 全部未履行 judgement.
CREATE OR REPLACE TABLE rec AS
WITH k AS (
    SELECT
        m.*,
        CAST(floor(ln(1 - rnd(m.mid, 'commitment-n'))
            / ln(1 - 1 / (1 + CASE m.risk WHEN 'clean' THEN 0.25 WHEN 'minor' THEN 0.4 WHEN 'bad' THEN 0.6 ELSE 0.8 END)))
            AS BIGINT) AS n_c
    FROM merchant m
), x AS (
    SELECT k.*, CAST(unnest(range(n_c)) AS BIGINT) AS j FROM k WHERE n_c > 0
), d AS (
    SELECT
        x.*,
        x.mid * 256 + x.j AS pk,
        x.opened + CAST(floor(rnd(x.mid * 256 + x.j, 'made') * (($as_of::DATE - x.opened) + 1)) AS INTEGER) AS made_on,
        wpick(['审批替代型', '容缺受理型', '证明事项型', '信用修复型', '行业自律型', '主动型', '其他'],
              [0.30, 0.48, 0.68, 0.76, 0.88, 0.98, 1.0], rnd(x.mid * 256 + x.j, 'type')) AS commitment_type,
        wpick(['全部履行', '部分履行', '全部未履行'],
              CASE x.risk WHEN 'clean' THEN [0.94, 0.97, 1.0] WHEN 'minor' THEN [0.88, 0.94, 1.0]
                          WHEN 'bad' THEN [0.78, 0.88, 1.0] ELSE [0.65, 0.77, 1.0] END,
              rnd(x.mid * 256 + x.j, 'fulfilment')) AS fulfilment_status
    FROM x
), j AS (
    SELECT
        d.*,
        CASE WHEN rnd(d.pk, 'judged-blank') >= 0.15
                  AND d.made_on + 30 + CAST(floor(rnd(d.pk, 'judged') * 335) AS INTEGER) <= $as_of::DATE
             THEN d.made_on + 30 + CAST(floor(rnd(d.pk, 'judged') * 335) AS INTEGER) END AS judged_on,
        CASE d.commitment_type
            WHEN '审批替代型' THEN 'approval' WHEN '容缺受理型' THEN 'approval' WHEN '证明事项型' THEN 'approval'
            WHEN '信用修复型' THEN 'ndrc' WHEN '行业自律型' THEN 'commerce' ELSE 'samr'
        END AS dept
    FROM d
), a AS (
    SELECT j.*, au.name AS acceptor, au.uscc AS acceptor_code, row_number() OVER (ORDER BY j.mid, j.j) AS rid
    FROM j
    JOIN authority au ON au.dept = j.dept AND au.d_idx = CASE WHEN j.dept IN ('ndrc', 'commerce') THEN 0 ELSE j.d_idx END
)
SELECT
    rid,
    coalesce(judged_on, made_on) AS key_date,
    coalesce(judged_on, made_on) AS ready_date,
    uscc,
    false AS is_person,
    false AS can_correct,
    false AS can_revoke,
    'CN' || division || strftime(made_on, '%Y') || printf('%07d', rid) AS commitment_code,
    name AS committer_name,
    party_type AS committer_type,
    commitment_type,
    CASE commitment_type
        WHEN '审批替代型' THEN '申请' || pick(['食品经营许可', '公共场所卫生许可', '酒类商品零售许可'], rnd(pk, 'reason'))
                                || '（告知承诺制）'
        WHEN '容缺受理型' THEN '办理食品经营许可容缺受理，承诺限期补齐材料'
        WHEN '证明事项型' THEN '以承诺代替' || pick(['经营场所使用证明', '从业人员健康证明', '无违法记录证明'], rnd(pk, 'reason'))
        WHEN '信用修复型' THEN '申请行政处罚信息信用修复'
        WHEN '行业自律型' THEN '商务领域诚信经营自律承诺'
        WHEN '主动型' THEN '主动向社会公开诚信经营承诺'
        ELSE '其他事项信用承诺'
    END AS reason,
    '本单位承诺所提交材料真实有效，严格遵守相关法律法规，依法诚信经营'
        || CASE WHEN commitment_type IN ('容缺受理型', '证明事项型') THEN '，并在规定期限内补交有关材料。' ELSE '。' END
        AS content,
    '如违背承诺，自愿接受撤销相关许可、记入信用记录、依法实施联合惩戒等处理，并承担相应法律责任。' AS breach_liability,
    made_on,
    pick(['1年', '2年', '3年', '长期', NULL], rnd(pk, 'validity')) AS validity,
    fulfilment_status,
    judged_on,
    acceptor,
    acceptor_code,
    wpick(['可向社会公开', '特定范围内公开', '不可公开'], [0.85, 0.95, 1.0], rnd(pk, 'disclosure')) AS disclosure_type,
    CAST(NULL AS VARCHAR) AS remarks
FROM a;
