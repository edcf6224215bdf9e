-- Macros and vocabulary for the sample generator. Every random choice is a keyed hash of
-- (seed, purpose, row key), never random(): the same inputs give the same bytes whatever the
-- thread count or row order DuckDB happens to use.

-- A uniform number in [0, 1) for key k and purpose salt. DuckDB's multi-argument hash(a, b, c)
-- only combines the per-argument hashes, so streams that differ by salt alone would be
-- perfectly correlated; re-hashing k XOR hash(seed, salt) gives independent streams.
CREATE OR REPLACE MACRO rnd(k, salt) AS
    hash(xor(CAST(k AS UBIGINT), hash(getvariable('seed'), salt))) / 18446744073709551616.0;

-- Rank r of n drawn without replacement from a code space of `size`: spread evenly, jittered
-- within its step, so distinct ranks give distinct codes that cover the whole space.
CREATE OR REPLACE MACRO spread(r, size, n, u) AS
    CAST(r AS BIGINT) * greatest(1, size // n) + CAST(floor(u * greatest(1, size // n)) AS BIGINT);

CREATE OR REPLACE MACRO pick(lst, u) AS lst[1 + CAST(floor(u * len(lst)) AS BIGINT)];

-- Weighted choice: `cum` holds cumulative weights ending in 1.0.
CREATE OR REPLACE MACRO wpick(vals, cum, u) AS
    vals[list_position(list_transform(cum, lambda c: u < c), true)];

CREATE OR REPLACE MACRO add_years(d, n) AS CAST(d + to_years(CAST(n AS INTEGER)) AS DATE);

CREATE OR REPLACE MACRO add_months(d, n) AS CAST(d + to_months(CAST(n AS INTEGER)) AS DATE);

-- Exact number of rows a defect rate selects from n rows: at least one when the rate is > 0,
-- so every documented defect appears even in a tiny sample.
CREATE OR REPLACE MACRO kcount(rate, n) AS
    CASE WHEN rate <= 0 OR n = 0 THEN 0 ELSE greatest(1, CAST(round(rate * n) AS BIGINT)) END;

-- GB 32100 check character of the first 17 characters (unrolled: a lambda over a list
-- literal is ten times slower).
CREATE OR REPLACE MACRO uscc_check(s) AS substr(
    '0123456789ABCDEFGHJKLMNPQRTUWXY',
    CAST((31 - (
        (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 1, 1)) - 1) * 1
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 2, 1)) - 1) * 3
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 3, 1)) - 1) * 9
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 4, 1)) - 1) * 27
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 5, 1)) - 1) * 19
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 6, 1)) - 1) * 26
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 7, 1)) - 1) * 16
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 8, 1)) - 1) * 17
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 9, 1)) - 1) * 20
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 10, 1)) - 1) * 29
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 11, 1)) - 1) * 25
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 12, 1)) - 1) * 13
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 13, 1)) - 1) * 8
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 14, 1)) - 1) * 24
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 15, 1)) - 1) * 10
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 16, 1)) - 1) * 30
        + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 17, 1)) - 1) * 28
    ) % 31) % 31 + 1 AS BIGINT),
    1
);

-- Apply to a column, not an expression: the macro repeats its argument 17 times.
CREATE OR REPLACE MACRO uscc_full(s17) AS s17 || uscc_check(s17);

-- n characters of the GB 32100 alphabet spelling x in base 31.
CREATE OR REPLACE MACRO base31(x, n) AS array_to_string(list_transform(
    range(n - 1, -1, -1),
    lambda i: substr('0123456789ABCDEFGHJKLMNPQRTUWXY', CAST((x // CAST(pow(31, i) AS BIGINT)) % 31 + 1 AS BIGINT), 1)
), '');

-- GB 11643 check character of the first 17 digits.
CREATE OR REPLACE MACRO ric_check(s) AS substr(
    '10X98765432',
    CAST((
        CAST(substr(s, 1, 1) AS INTEGER) * 7
        + CAST(substr(s, 2, 1) AS INTEGER) * 9
        + CAST(substr(s, 3, 1) AS INTEGER) * 10
        + CAST(substr(s, 4, 1) AS INTEGER) * 5
        + CAST(substr(s, 5, 1) AS INTEGER) * 8
        + CAST(substr(s, 6, 1) AS INTEGER) * 4
        + CAST(substr(s, 7, 1) AS INTEGER) * 2
        + CAST(substr(s, 8, 1) AS INTEGER) * 1
        + CAST(substr(s, 9, 1) AS INTEGER) * 6
        + CAST(substr(s, 10, 1) AS INTEGER) * 3
        + CAST(substr(s, 11, 1) AS INTEGER) * 7
        + CAST(substr(s, 12, 1) AS INTEGER) * 9
        + CAST(substr(s, 13, 1) AS INTEGER) * 10
        + CAST(substr(s, 14, 1) AS INTEGER) * 5
        + CAST(substr(s, 15, 1) AS INTEGER) * 8
        + CAST(substr(s, 16, 1) AS INTEGER) * 4
        + CAST(substr(s, 17, 1) AS INTEGER) * 2
    ) % 11 + 1 AS BIGINT),
    1
);

CREATE OR REPLACE MACRO ric_full(s17) AS s17 || ric_check(s17);

-- The first 17 digits of a synthetic resident identity number: a Wuhan (or other) region, a
-- birth date 1960-1999 and an order number. Random, so it names nobody. Finish it with
-- ric_full() on a column: the check macros repeat their argument 17 times.
CREATE OR REPLACE MACRO ric_body(k, salt) AS
    pick(['420102', '420103', '420104', '420105', '420106', '420107', '420111', '420112',
          '420113', '420114', '420115', '420116', '420117', '420281', '421002', '421102',
          '422801', '430102', '360426', '410105', '500103', '510104'], rnd(k, salt || ':r'))
    || strftime(DATE '1960-01-01' + CAST(floor(rnd(k, salt || ':b') * 14600) AS INTEGER), '%Y%m%d')
    || printf('%03d', CAST(floor(rnd(k, salt || ':o') * 1000) AS INTEGER));

CREATE OR REPLACE MACRO person_name(k, salt) AS
    pick(['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何',
          '高', '林', '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田',
          '董', '袁', '潘', '于', '蒋', '蔡', '余', '杜', '叶', '程', '苏', '魏', '吕', '丁', '任', '沈', '姚',
          '卢', '姜', '崔', '钟', '谭', '陆', '汪', '范', '金', '石', '廖', '贾', '夏', '韦', '付', '方', '白',
          '邹', '孟', '熊', '秦', '邱', '江', '尹', '薛', '闫', '段', '雷', '侯', '龙', '史', '陶', '黎', '贺',
          '顾', '毛', '郝', '龚', '邵', '万', '钱', '严', '覃', '武', '戴', '莫', '孔', '向', '汤'],
         rnd(k, salt || ':s'))
    || pick(['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超',
             '秀', '霞', '平', '刚', '桂', '英', '华', '玉', '兰', '文', '辉', '鹏', '建', '红', '梅', '林', '燕',
             '波', '宁', '斌', '浩', '凯', '飞', '亮', '晨', '欣', '雪', '婷', '宇', '鑫', '琳', '萍', '佳', '俊',
             '峰', '慧', '倩', '颖', '丹', '蕾', '阳', '志', '国', '海'], rnd(k, salt || ':g1'))
    || CASE WHEN rnd(k, salt || ':g') < 0.7
            THEN pick(['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明',
                       '超', '秀', '霞', '平', '刚', '桂', '英', '华', '玉', '兰', '文', '辉', '鹏', '建', '红', '梅',
                       '林', '燕', '波', '宁', '斌', '浩', '凯', '飞', '亮', '晨', '欣', '雪', '婷', '宇', '鑫', '琳',
                       '萍', '佳', '俊', '峰', '慧', '倩', '颖', '丹', '蕾', '阳', '志', '国', '海'], rnd(k, salt || ':g2'))
            ELSE '' END;

-- A person's name as 双公示 feeds mask it: surname kept, the rest starred.
CREATE OR REPLACE MACRO mask_name(x) AS substr(x, 1, 1) || repeat('*', length(x) - 1);

-- Dates spelled the way a file's style asks; `mixed` varies by row.
CREATE OR REPLACE MACRO fmt_date(d, style, k) AS CASE
    WHEN d IS NULL THEN NULL
    WHEN style = 'iso' THEN strftime(d, '%Y-%m-%d')
    WHEN style = 'slash' THEN strftime(d, '%Y/%m/%d')
    WHEN style = 'compact' THEN strftime(d, '%Y%m%d')
    ELSE pick([strftime(d, '%Y-%m-%d'), strftime(d, '%Y/%m/%d'), strftime(d, '%Y%m%d'),
               CAST(d - DATE '1899-12-30' AS VARCHAR)], rnd(k, 'date-mix'))
END;

-- An amount without trailing zeros: 0.2, 12, 3.05.
CREATE OR REPLACE MACRO fmt_amount(x) AS
    CASE WHEN x IS NULL THEN NULL ELSE rtrim(rtrim(printf('%.4f', x), '0'), '.') END;

-- An empty optional cell, sometimes spelled as one of the feeds' placeholders instead.
CREATE OR REPLACE MACRO ph(x, k, field) AS CASE
    WHEN x IS NULL AND rnd(k, 'ph:' || field) < 0.3
        THEN pick(['— —', '--', '无', '/'], rnd(k, 'phv:' || field))
    ELSE x
END;

-- The USCC as a delivered row spells it, given the defect slot the row drew.
CREATE OR REPLACE MACRO uscc_as_delivered(code, kind, k) AS CASE
    WHEN code IS NULL THEN NULL
    WHEN kind = 'bad_check_char' THEN substr(code, 1, 17) || substr(
        '0123456789ABCDEFGHJKLMNPQRTUWXY',
        CAST((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 18, 1)) - 1
              + 1 + floor(rnd(k, 'badcheck') * 30)) % 31 + 1 AS BIGINT),
        1)
    WHEN kind = 'uscc_lowercase' THEN lower(code)
    WHEN kind = 'uscc_fullwidth' THEN translate(code, '0123456789ABCDEFGHJKLMNPQRTUWXY',
        '０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ')
    WHEN kind = 'uscc_spaced' THEN ' ' || substr(code, 1, 2) || ' ' || substr(code, 3, 6) || ' '
        || substr(code, 9, 9) || ' ' || substr(code, 18, 1)
    WHEN kind = 'uscc_dashed' THEN substr(code, 1, 8) || '-' || substr(code, 9, 9) || '-' || substr(code, 18, 1)
    WHEN kind = 'reg_no_as_uscc' THEN substr(code, 3, 6)
        || printf('%09d', CAST(floor(rnd(k, 'regno') * 1000000000) AS BIGINT))
    WHEN kind = 'blank_uscc' THEN NULL
    ELSE code
END;

CREATE OR REPLACE TABLE district AS
SELECT * FROM (VALUES
    (1, '420102', '江岸区', '岸', 9), (2, '420103', '江汉区', '汉', 9), (3, '420104', '硚口区', '硚', 6),
    (4, '420105', '汉阳区', '阳', 6), (5, '420106', '武昌区', '昌', 10), (6, '420107', '青山区', '青', 4),
    (7, '420111', '洪山区', '洪', 11), (8, '420112', '东西湖区', '东', 5), (9, '420113', '汉南区', '南', 1),
    (10, '420114', '蔡甸区', '蔡', 3), (11, '420115', '江夏区', '夏', 5), (12, '420116', '黄陂区', '陂', 4),
    (13, '420117', '新洲区', '新', 3)
) t(d_idx, code, name, abbr, weight);

-- Words that end a shop's name: (index, sector, shop word, company form). The index is one
-- digit of the bijective name code, so names stay unique.
CREATE OR REPLACE TABLE shop_word AS
SELECT * FROM (VALUES
    (0, 'F52', '便利店', '便利店有限公司'), (1, 'F52', '超市', '超市有限公司'),
    (2, 'F52', '烟酒店', '烟酒商行有限公司'), (3, 'F52', '水果店', '果业有限公司'),
    (4, 'F52', '母婴用品店', '母婴用品有限公司'), (5, 'F52', '五金店', '五金商贸有限公司'),
    (6, 'F52', '副食店', '商贸有限公司'), (7, 'F52', '文具店', '文化用品有限公司'),
    (8, 'F52', '大药房', '大药房有限公司'), (9, 'H62', '热干面馆', '热干面餐饮有限公司'),
    (10, 'H62', '餐馆', '餐饮管理有限公司'), (11, 'H62', '酒楼', '酒楼有限公司'),
    (12, 'H62', '火锅店', '火锅餐饮有限公司'), (13, 'H62', '烘焙坊', '食品有限公司'),
    (14, 'H62', '奶茶店', '饮品有限公司'), (15, 'H62', '小吃店', '小吃餐饮有限公司'),
    (16, 'H62', '烧烤店', '烧烤餐饮有限公司'), (17, 'O80', '洗衣店', '洗涤服务有限公司'),
    (18, 'O80', '理发店', '美容美发有限公司'), (19, 'O80', '家政服务部', '家政服务有限公司')
) t(w_idx, sector, word, company_form);

CREATE OR REPLACE TABLE vocab AS
SELECT
    '华鑫盛兴隆福祥瑞源丰泰康乐佳美汇聚和顺达诚信安宏嘉金银旺新宜品鲜味香悦友邻家楚江汉荆晴川明辉博越恒远东方云天海山林森茂昌荣利发富贵吉庆永鸿运通泽润宝益德仁义礼智春夏秋冬阳光星月' AS stem_chars,
    ['光谷', '汉街', '楚河', '江汉路', '徐东', '街道口', '王家湾', '钟家村', '武广', '菱角湖', '后湖', '沌口',
     '南湖', '关山', '古田', '常青', '汉口站', '武昌站', '首义', '中南', '积玉桥', '宝通寺', '卓刀泉', '鲁巷',
     '杨家湾', '二七', '三阳路', '循礼门', '新华路', '唐家墩', '塔子湖', '黄浦路', '岳家嘴', '梨园', '东亭',
     '水果湖', '洪山广场', '小东门', '司门口', '汉正街', '宗关', '汉西', '四新', '墨水湖', '金银湖', '盘龙城',
     '阳逻', '纸坊', '藏龙岛', '金融港'] AS places,
    (SELECT flatten(list(list_transform(range(weight), lambda x: d_idx) ORDER BY d_idx)) FROM district) AS district_bag;

-- Issuing and enforcing bodies. District bureaus per district, city bodies with d_idx 0.
-- Their codes are valid USCCs with category 11 (机关); org codes come from the row index.
CREATE OR REPLACE TABLE authority AS
WITH dept AS (
    SELECT * FROM (VALUES
        ('samr', '市场监督管理局', '市监', false), ('health', '卫生健康局', '卫健', false),
        ('cgj', '城市管理执法局', '城管', false), ('water', '水务和湖泊局', '水务', false),
        ('approval', '行政审批局', '审批', false), ('samr', '市场监督管理局', '市监', true),
        ('tobacco', '烟草专卖局', '烟草', true), ('commerce', '商务局', '商务', true),
        ('ndrc', '发展和改革委员会', '发改', true)
    ) t(dept, suffix, short, city)
), a AS (
    SELECT dept, 0 AS d_idx, '420100' AS division, '武汉市' || suffix AS name, '武' || short AS abbr
    FROM dept WHERE city
    UNION ALL
    SELECT dept, d.d_idx, d.code, '武汉市' || d.name || suffix, '武' || d.abbr || short
    FROM dept CROSS JOIN district d WHERE NOT city
), n AS (
    SELECT *, row_number() OVER (ORDER BY d_idx, dept) AS a_id FROM a
)
SELECT a_id, dept, d_idx, name, abbr,
       uscc_full('11' || division || '0' || printf('%07d', (a_id * 7919 + 1234567) % 10000000)
                 || CAST(a_id % 10 AS VARCHAR)) AS uscc
FROM n;

-- Permit kinds: validity in years (99 = no expiry, written 2099-12-31).
CREATE OR REPLACE TABLE permit_kind AS
SELECT * FROM (VALUES
    (1, '食品经营许可决定书', '普通', '食品经营许可证', 5, 'samr', '食许'),
    (2, '准予设立登记通知书', '登记', '营业执照', 99, 'samr', '登'),
    (3, '烟草专卖零售许可决定书', '特许', '烟草专卖零售许可证', 5, 'tobacco', '烟许'),
    (4, '公共场所卫生许可决定书', '普通', '公共场所卫生许可证', 4, 'health', '卫公许'),
    (5, '酒类商品零售许可决定书', '核准', '酒类商品零售许可证', 3, 'commerce', '酒许'),
    (6, '城镇污水排入排水管网许可决定书', '核准', '排水许可证', 5, 'water', '排许'),
    (7, '户外广告设施设置许可决定书', '认可', '户外广告设置许可证', 1, 'cgj', '广许'),
    (8, '小餐饮经营许可决定书', '普通', '小餐饮经营许可证', 3, 'samr', '小餐许')
) t(kind, doc_name, permit_category, cert_name, years, dept, doc_abbr);

-- Violations by severity class. `cats` are the 处罚类别 imposed; fines in 万元 [lo, hi].
CREATE OR REPLACE TABLE violation AS
SELECT * FROM (VALUES
    (1, 'warning', true, '未按规定明码标价', '《明码标价和禁止价格欺诈规定》第二十一条',
     '当事人经营场所内部分商品未按规定明码标价', 'samr', ['警告'], 0.0, 0.0),
    (2, 'warning', false, '从业人员未取得健康证明上岗', '《中华人民共和国食品安全法》第一百二十六条第一款第（六）项',
     '当事人安排未取得健康证明的人员从事接触直接入口食品的工作', 'samr', ['警告'], 0.0, 0.0),
    (3, 'warning', true, '未按规定公示营业执照', '《中华人民共和国市场主体登记管理条例》第四十八条',
     '当事人未将营业执照置于主要经营场所的醒目位置', 'samr', ['警告'], 0.0, 0.0),
    (4, 'warning', false, '未按规定进行卫生检测', '《公共场所卫生管理条例实施细则》第三十六条',
     '当事人未按照规定对公共场所的空气、水质等进行卫生检测', 'health', ['警告'], 0.0, 0.0),
    (5, 'minor', true, '未按规定明码标价', '《明码标价和禁止价格欺诈规定》第二十一条',
     '当事人经营场所内多种商品未按规定明码标价，经责令改正后仍未改正', 'samr', ['罚款'], 0.05, 0.5),
    (6, 'minor', false, '未按规定建立并遵守进货查验记录制度', '《中华人民共和国食品安全法》第一百二十六条第一款第（三）项',
     '当事人未按规定查验供货者的许可证和食品出厂检验合格证', 'samr', ['警告', '罚款'], 0.5, 0.95),
    (7, 'minor', true, '占道经营', '《武汉市城市综合管理条例》第八十二条',
     '当事人在其经营场所外占用城市道路摆摊经营', 'cgj', ['罚款'], 0.02, 0.2),
    (8, 'minor', false, '公共场所卫生不符合规定', '《公共场所卫生管理条例实施细则》第三十六条',
     '当事人经营场所顾客用品用具未按规定清洗消毒', 'health', ['警告', '罚款'], 0.1, 0.5),
    (9, 'minor', false, '单用途预付卡未按规定备案', '《单用途商业预付卡管理办法（试行）》第三十六条',
     '当事人发行单用途预付卡后未按规定办理备案', 'commerce', ['通报批评', '罚款'], 0.5, 0.9),
    (10, 'general', false, '经营超过保质期的食品', '《中华人民共和国食品安全法》第一百二十四条第一款第（五）项',
     '当事人在经营场所销售超过保质期的食品', 'samr', ['没收违法所得', '罚款'], 5.0, 9.5),
    (11, 'general', false, '虚假宣传', '《中华人民共和国反不正当竞争法》第二十条第一款',
     '当事人在店内宣传资料中对商品的功效作虚假的商业宣传', 'samr', ['罚款'], 1.0, 9.5),
    (12, 'general', false, '价格欺诈', '《明码标价和禁止价格欺诈规定》第二十二条',
     '当事人以虚假的原价进行价格比较，诱骗消费者购买', 'samr', ['没收违法所得', '罚款'], 1.0, 8.0),
    (13, 'general', true, '未取得食品经营许可从事食品经营活动', '《中华人民共和国食品安全法》第一百二十二条第一款',
     '当事人未取得食品经营许可从事食品经营活动', 'samr', ['没收违法所得', '没收非法财物', '罚款'], 5.0, 9.5),
    (14, 'general', false, '违规销售烟草专卖品', '《中华人民共和国烟草专卖法实施条例》第五十七条',
     '当事人超越经营范围和地域范围销售卷烟', 'tobacco', ['没收违法所得', '罚款'], 1.0, 5.0),
    (15, 'general', false, '未取得排水许可排放污水', '《城镇排水与污水处理条例》第五十条',
     '当事人未取得污水排入排水管网许可证向城镇排水设施排放污水', 'water', ['罚款'], 1.0, 5.0),
    (16, 'general', false, '超出许可范围经营', '《中华人民共和国食品安全法》第一百二十二条第一款',
     '当事人超出食品经营许可核定的项目从事经营', 'samr', ['暂扣许可证件', '罚款'], 1.0, 5.0),
    (17, 'serious', false, '经营病死或死因不明的畜禽肉类', '《中华人民共和国食品安全法》第一百二十三条第一款第（二）项',
     '当事人经营病死、死因不明的畜禽肉类', 'samr', ['没收违法所得', '罚款', '吊销许可证件'], 10.0, 30.0),
    (18, 'serious', false, '使用非食品原料加工食品', '《中华人民共和国食品安全法》第一百二十三条第一款第（一）项',
     '当事人使用非食品原料加工制作食品', 'samr', ['没收违法所得', '罚款', '责令停产停业'], 10.0, 50.0),
    (19, 'serious', false, '销售假冒伪劣商品', '《中华人民共和国产品质量法》第五十条',
     '当事人在产品中掺杂、掺假，以假充真', 'samr', ['没收违法所得', '罚款', '吊销营业执照'], 10.0, 20.0),
    (20, 'serious', false, '价格欺诈（情节严重）', '《中华人民共和国价格法》第四十条',
     '当事人多次以虚假的原价进行价格比较，情节严重', 'samr', ['罚款'], 10.0, 50.0),
    (21, 'serious', false, '发生危害健康事故', '《公共场所卫生管理条例实施细则》第三十九条',
     '当事人经营场所发生危害消费者健康事故', 'health', ['罚款', '责令停产停业'], 1.0, 3.0),
    (22, 'serious', false, '单用途预付卡违规（情节严重）', '《单用途商业预付卡管理办法（试行）》第三十八条',
     '当事人违规发行单用途预付卡并拒不退卡，情节严重', 'commerce', ['罚款', '限制开展生产经营活动'], 1.0, 3.0)
) t(v_id, cls, person_ok, vtype, basis, facts, dept, cats, fine_lo, fine_hi);

CREATE OR REPLACE TABLE violation_pick AS
SELECT cls, who, list(v_id ORDER BY v_id) AS ids
FROM (
    SELECT cls, 'org' AS who, v_id FROM violation
    UNION ALL
    SELECT cls, 'person', v_id FROM violation WHERE person_ok
)
GROUP BY cls, who;
