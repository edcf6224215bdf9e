-- 消费投诉 records: a geometric number per merchant (mean 1.8 for clean merchants, up to 10 for
-- the worst), registered since the merchant opened. Statuses age: most complaints older than
-- 60 days are closed, a few stay 处理中. Some closed ones were first sent while still 处理中
-- and updated later (`upd`): the plan delivers their final state as a correction.
CREATE OR REPLACE TABLE rec AS
WITH k AS (
    SELECT
        m.*,
        CAST(floor(ln(1 - rnd(m.mid, 'complaint-n'))
            / ln(1 - 1 / (1 + CASE m.risk WHEN 'clean' THEN 1.8 WHEN 'minor' THEN 3.0 WHEN 'bad' THEN 6.0 ELSE 10.0 END)))
            AS BIGINT) AS n_c
    FROM merchant m
), x AS (
    SELECT k.*, CAST(unnest(range(n_c)) AS BIGINT) AS j FROM k WHERE n_c > 0
), d AS (
    SELECT
        x.*,
        x.mid * 4096 + x.j AS pk,
        x.opened + CAST(floor(rnd(x.mid * 4096 + x.j, 'registered') * (($as_of::DATE - x.opened) + 1)) AS INTEGER)
            AS registered_on
    FROM x
), s AS (
    SELECT
        d.* EXCLUDE (category),  -- the merchant's USCC category; the complaint has its own
        CASE WHEN $as_of::DATE - d.registered_on <= 60
             THEN wpick(['处理中', '调解成功', '调解不成功', '终止调解', '不予受理'], [0.5, 0.8, 0.87, 0.92, 1.0],
                        rnd(d.pk, 'status'))
             ELSE wpick(['处理中', '调解成功', '调解不成功', '终止调解', '不予受理'], [0.02, 0.67, 0.77, 0.85, 1.0],
                        rnd(d.pk, 'status'))
        END AS handling_status,
        wpick(['全国12315平台', '12345热线', '来信来访', '其他'], [0.6, 0.93, 0.97, 1.0], rnd(d.pk, 'channel')) AS channel,
        CASE d.sector
            WHEN 'H62' THEN wpick(['食品安全', '服务质量', '价格欺诈', '预付卡', '商品质量', '虚假宣传', '个人信息', '售后服务', '其他'],
                                  [0.35, 0.6, 0.7, 0.78, 0.84, 0.88, 0.9, 0.95, 1.0], rnd(d.pk, 'category'))
            WHEN 'F52' THEN wpick(['商品质量', '价格欺诈', '售后服务', '虚假宣传', '食品安全', '服务质量', '预付卡', '个人信息', '其他'],
                                  [0.3, 0.45, 0.6, 0.7, 0.8, 0.88, 0.93, 0.96, 1.0], rnd(d.pk, 'category'))
            ELSE wpick(['服务质量', '预付卡', '价格欺诈', '售后服务', '虚假宣传', '个人信息', '商品质量', '食品安全', '其他'],
                       [0.35, 0.6, 0.72, 0.82, 0.88, 0.92, 0.96, 0.97, 1.0], rnd(d.pk, 'category'))
        END AS category,
        CASE WHEN rnd(d.pk, 'amount-blank') < 0.8
             THEN CAST(round(exp(3 + rnd(d.pk, 'amount') * 7.8), 2) AS DECIMAL(18, 2)) END AS amount_yuan
    FROM d
), c AS (
    SELECT
        s.*,
        CASE WHEN s.handling_status <> '处理中'
             THEN s.registered_on + CAST(floor(rnd(s.pk, 'closed')
                  * (least($as_of::DATE - s.registered_on, 59) + 1)) AS INTEGER) END AS closed_on,
        row_number() OVER (ORDER BY s.mid, s.j) AS rid
    FROM s
), u AS (
    SELECT c.*, c.closed_on - c.registered_on >= 15 AND rnd(c.pk, 'update') < 0.05 AS upd FROM c
)
SELECT
    rid,
    CASE WHEN upd THEN registered_on ELSE coalesce(closed_on, registered_on) END AS key_date,
    CASE WHEN upd THEN closed_on ELSE coalesce(closed_on, registered_on) END AS ready_date,
    uscc,
    false AS is_person,
    upd AS can_correct,
    false AS can_revoke,
    name,
    short_name,
    CASE channel WHEN '全国12315平台' THEN '12315' WHEN '12345热线' THEN 'RX' WHEN '来信来访' THEN 'XF' ELSE 'QT' END
        || strftime(registered_on, '%Y%m%d') || printf('%08d', rid) AS complaint_no,
    registered_on,
    channel,
    category,
    handling_status,
    closed_on,
    amount_yuan,
    CASE WHEN handling_status = '调解成功' AND amount_yuan IS NOT NULL
         THEN CAST(round(amount_yuan * (0.3 + 0.7 * rnd(pk, 'recovered')), 2) AS DECIMAL(18, 2)) END AS recovered_yuan,
    person_name(pk, 'complainant') AS complainant_name,
    '1' || pick(['3', '5', '8'], rnd(pk, 'phone-2')) || printf('%09d', CAST(floor(rnd(pk, 'phone') * 1000000000) AS BIGINT))
        AS complainant_phone,
    '消费者反映：' || CASE category
        WHEN '商品质量' THEN '在该经营者处购买的商品存在质量问题'
        WHEN '服务质量' THEN '该经营者服务态度差，未按约定提供服务'
        WHEN '虚假宣传' THEN '该经营者宣传内容与实际不符'
        WHEN '价格欺诈' THEN '结账金额高于标价'
        WHEN '预付卡' THEN '在该店办理预付卡后，经营者拒绝退卡退款'
        WHEN '食品安全' THEN '在该店就餐后出现身体不适，怀疑食品不卫生'
        WHEN '个人信息' THEN '该经营者未经同意收集并使用个人信息'
        WHEN '售后服务' THEN '该经营者拒不履行退换货义务'
        ELSE '与该经营者发生消费纠纷'
    END || '，要求' || pick(['退款', '赔偿损失', '经营者道歉', '退换货', '依法处理'], rnd(pk, 'demand')) || '。'
        AS complaint_text
FROM u;
