-- How one dataset's records (table `rec`, made by <dataset>.sql) reach the landing tree:
-- which rows carry which defect, which file each row is delivered in, and the files' looks.
-- `rec` provides rid, key_date (the date that orders deliveries), ready_date (the earliest
-- day an update can be sent), uscc, is_person, can_correct and can_revoke.

-- 1. One defect slot per row, exact counts: rows are shuffled and the first k1 rows take the
-- first kind, the next k2 the second, and so on, so kinds never overlap and the summary's
-- counts are what the files hold. 自然人 rows carry no USCC and take no slot.
CREATE OR REPLACE TABLE slot AS
WITH r AS (
    SELECT
        rid, uscc, is_person, key_date, ready_date, can_correct, can_revoke,
        row_number() OVER (PARTITION BY is_person ORDER BY rnd(rid, $dataset || ':slot'), rid) AS rk,
        count(*) OVER (PARTITION BY is_person) AS n
    FROM rec
), c AS (
    SELECT
        r.*,
        kcount($r_bad, n) AS c1,
        kcount($r_bad, n) + kcount($r_lower, n) AS c2,
        kcount($r_bad, n) + kcount($r_lower, n) + kcount($r_fullwidth, n) AS c3,
        kcount($r_bad, n) + kcount($r_lower, n) + kcount($r_fullwidth, n) + kcount($r_spaced, n) AS c4,
        kcount($r_bad, n) + kcount($r_lower, n) + kcount($r_fullwidth, n) + kcount($r_spaced, n)
            + kcount($r_dashed, n) AS c5,
        kcount($r_bad, n) + kcount($r_lower, n) + kcount($r_fullwidth, n) + kcount($r_spaced, n)
            + kcount($r_dashed, n) + kcount($r_regno, n) AS c6,
        kcount($r_bad, n) + kcount($r_lower, n) + kcount($r_fullwidth, n) + kcount($r_spaced, n)
            + kcount($r_dashed, n) + kcount($r_regno, n) + kcount($r_missing, n) AS c7,
        kcount($r_bad, n) + kcount($r_lower, n) + kcount($r_fullwidth, n) + kcount($r_spaced, n)
            + kcount($r_dashed, n) + kcount($r_regno, n) + kcount($r_missing, n) + kcount($r_order, n) AS c8,
        kcount($r_bad, n) + kcount($r_lower, n) + kcount($r_fullwidth, n) + kcount($r_spaced, n)
            + kcount($r_dashed, n) + kcount($r_regno, n) + kcount($r_missing, n) + kcount($r_order, n)
            + kcount($r_blank, n) AS c9
    FROM r
), k AS (
    SELECT
        *,
        CASE
            WHEN is_person THEN 'clean'
            WHEN rk <= c1 THEN 'bad_check_char'
            WHEN rk <= c2 THEN 'uscc_lowercase'
            WHEN rk <= c3 THEN 'uscc_fullwidth'
            WHEN rk <= c4 THEN 'uscc_spaced'
            WHEN rk <= c5 THEN 'uscc_dashed'
            WHEN rk <= c6 THEN 'reg_no_as_uscc'
            WHEN rk <= c7 THEN 'missing_required'
            WHEN rk <= c8 THEN 'valid_from_after_valid_to'
            WHEN rk <= c9 THEN 'blank_uscc'
            ELSE 'clean'
        END AS slot_kind
    FROM c
)
SELECT
    rid, uscc, is_person, key_date, ready_date, can_correct, can_revoke,
    -- An all-digit code reads the same in lower case: spell it full-width instead.
    CASE WHEN slot_kind = 'uscc_lowercase' AND NOT regexp_matches(uscc, '[A-Z]') THEN 'uscc_fullwidth'
         ELSE slot_kind END AS kind
FROM k;

-- 2. Channel: a few rows arrive as XLSX exports, some through a JSON-lines API, most as CSV.
CREATE OR REPLACE TABLE chan AS
WITH r AS (
    SELECT s.*, row_number() OVER (ORDER BY rnd(rid, $dataset || ':channel'), rid) AS ck, count(*) OVER () AS n
    FROM slot s
)
SELECT
    r.* EXCLUDE (ck, n),
    CASE
        WHEN ck <= kcount($xlsx_share, n) THEN 'xlsx'
        WHEN ck <= kcount($xlsx_share, n) + kcount($jsonl_share, n) THEN 'jsonl'
        ELSE 'csv'
    END AS channel
FROM r;

-- 3. Each channel's rows, in key-date order, cut into consecutive batches. XLSX batches stay
-- at most 20,000 rows; other files at most 200,000.
CREATE OR REPLACE TABLE chunked AS
WITH r AS (
    SELECT
        c.*,
        row_number() OVER (PARTITION BY channel ORDER BY key_date, rid) AS rn,
        count(*) OVER (PARTITION BY channel) AS nc
    FROM chan c
), f AS (
    SELECT
        r.*,
        CAST(least(nc, CASE channel
            WHEN 'csv' THEN greatest(6, least(24, ceil(nc / 2000)), ceil(nc / 200000))
            WHEN 'jsonl' THEN greatest(2, least(8, ceil(nc / 2000)), ceil(nc / 200000))
            ELSE greatest(1, least(4, ceil(nc / 500)), ceil(nc / 20000))
        END) AS BIGINT) AS nf
    FROM r
)
SELECT f.* EXCLUDE (nf, rn, nc), CAST((rn - 1) * nf // nc AS INTEGER) AS chunk
FROM f;

-- A batch is delivered a few days after its latest record, and never after as_of.
CREATE OR REPLACE TABLE delivery AS
SELECT
    channel,
    chunk,
    least(max(key_date) + 1 + CAST(floor(rnd(chunk, $dataset || ':lag:' || channel) * 10) AS INTEGER),
          $as_of::DATE) AS delivered
FROM chunked
GROUP BY channel, chunk;

-- 4. Later deliveries of the same key: corrections (a field fixed) and revocations (当前状态
-- 撤销). They go to one of four fixed later dates, at least a week after the original's
-- delivery, and only for rows without a seeded defect.
CREATE OR REPLACE TABLE fix AS
WITH cand AS (
    SELECT
        c.rid, c.can_correct, c.can_revoke,
        list_filter(
            [$as_of::DATE - 270, $as_of::DATE - 180, $as_of::DATE - 90, $as_of::DATE - 14],
            lambda x: x > d.delivered + 7 AND x >= c.ready_date) AS dates
    FROM chunked c
    JOIN delivery d USING (channel, chunk)
    WHERE c.kind = 'clean'
), corr AS (
    SELECT rid, dates, row_number() OVER (ORDER BY rnd(rid, $dataset || ':correct'), rid) AS k, count(*) OVER () AS n
    FROM cand
    WHERE can_correct AND len(dates) > 0
), corr_pick AS (
    SELECT rid, 1 AS version, pick(dates, rnd(rid, $dataset || ':correct-date')) AS fix_date
    FROM corr
    WHERE k <= kcount($r_correct, n)
), rev AS (
    SELECT rid, dates, row_number() OVER (ORDER BY rnd(rid, $dataset || ':revoke'), rid) AS k, count(*) OVER () AS n
    FROM cand
    WHERE can_revoke AND len(dates) > 0 AND rid NOT IN (SELECT rid FROM corr_pick)
)
SELECT * FROM corr_pick
UNION ALL
SELECT rid, 2 AS version, pick(dates, rnd(rid, $dataset || ':revoke-date')) AS fix_date
FROM rev
WHERE k <= kcount($r_revoke, n);

-- 5. The files, with how each one looks. Attributes rotate over the batch index (with a
-- seeded offset) so that every dataset gets every encoding, header style and date style.
CREATE OR REPLACE TABLE files AS
WITH regular AS (
    SELECT
        channel || ':' || chunk AS file_key,
        channel, chunk, 0 AS version, delivered AS folder, channel AS format,
        CASE channel WHEN 'csv' THEN 'batch-' WHEN 'jsonl' THEN 'api-' ELSE 'export-' END
            || printf('%03d', chunk + 1) AS stem
    FROM delivery
), fixes AS (
    SELECT version, fix_date, CAST(row_number() OVER (PARTITION BY version ORDER BY fix_date) - 1 AS INTEGER) AS chunk
    FROM (SELECT DISTINCT version, fix_date FROM fix)
), fixed AS (
    SELECT
        'fix:' || version || ':' || fix_date AS file_key,
        'fix' AS channel, chunk, version, fix_date AS folder,
        CASE WHEN (chunk + version) % 3 = 2 THEN 'jsonl' ELSE 'csv' END AS format,
        CASE version WHEN 1 THEN 'correction-' ELSE 'revocation-' END || printf('%02d', chunk + 1) AS stem
    FROM fixes
), styled AS (
    SELECT
        f.*,
        CASE
            WHEN f.format <> 'csv' THEN NULL
            WHEN f.channel = 'fix' THEN ['utf8', 'gb18030'][1 + f.chunk % 2]
            ELSE ['utf8', 'bom', 'gb18030', 'utf8', 'bom'][1 + (f.chunk + CAST(floor(rnd(0, $dataset || ':off-enc') * 5) AS INTEGER)) % 5]
        END AS encoding,
        CASE
            WHEN f.channel = 'fix' THEN 'chinese'
            WHEN $has_codes THEN ['chinese', 'codes', 'chinese_messy', 'snake'][
                1 + (f.chunk + CAST(floor(rnd(0, $dataset || ':off-hdr:' || f.channel) * 4) AS INTEGER)) % 4]
            ELSE ['chinese', 'chinese_messy', 'snake', 'chinese'][
                1 + (f.chunk + CAST(floor(rnd(0, $dataset || ':off-hdr:' || f.channel) * 4) AS INTEGER)) % 4]
        END AS header_style,
        CASE
            WHEN f.format = 'xlsx' THEN 'iso'
            ELSE ['iso', 'slash', 'iso', 'compact', 'iso', 'mixed'][
                1 + (f.chunk + CAST(floor(rnd(0, $dataset || ':off-date:' || f.channel) * 6) AS INTEGER)) % 6]
        END AS date_style,
        CASE WHEN f.format = 'xlsx' THEN ['date_cell', 'serial', 'text'][1 + (f.chunk + $ds_index) % 3] END
            AS xlsx_dates,
        CASE WHEN f.format = 'jsonl'
             THEN ['number', 'string'][1 + (f.chunk + CAST(floor(rnd(0, $dataset || ':off-num') * 2) AS INTEGER)) % 2]
             ELSE 'string' END AS numbers,
        f.channel <> 'fix'
            AND (f.chunk + CAST(floor(rnd(0, $dataset || ':off-extra:' || f.channel) * 4) AS INTEGER)) % 4 = 1
            AS extra_cols,
        f.channel IN ('csv', 'jsonl')
            AND (f.chunk + CAST(floor(rnd(0, $dataset || ':off-omit:' || f.channel) * 5) AS INTEGER)) % 5 = 2
            AS omit_optional,
        f.format = 'xlsx' AND f.chunk % 2 = 0 AS second_sheet
    FROM (SELECT * FROM regular UNION ALL SELECT * FROM fixed) f
), dups AS (
    -- Re-sent batches: one CSV a few days later in another folder, one JSONL copied in place
    -- the way Windows names a copy.
    SELECT
        'dup:' || s.file_key AS file_key, 'dup' AS channel, s.chunk, s.version,
        CASE WHEN s.format = 'csv'
             THEN least(s.folder + 1 + CAST(floor(rnd(s.chunk, $dataset || ':dup-lag') * 5) AS INTEGER), $as_of::DATE)
             ELSE s.folder END AS folder,
        s.format,
        s.stem || CASE WHEN s.format = 'csv' THEN '-resend' ELSE ' - 副本' END AS stem,
        s.encoding, s.header_style, s.date_style, s.xlsx_dates, s.numbers, s.extra_cols, s.omit_optional,
        s.second_sheet, s.file_key AS dup_of
    FROM (
        SELECT *, row_number() OVER (PARTITION BY format ORDER BY rnd(chunk, $dataset || ':dup:' || format), chunk) AS k
        FROM styled
        WHERE channel IN ('csv', 'jsonl') AND folder <= $as_of::DATE - 6
    ) s
    WHERE s.k = 1
)
SELECT
    CAST(row_number() OVER (ORDER BY folder, stem) AS INTEGER) AS file_id,
    file_key, channel, version, folder, stem || '.' || format AS name, format, encoding, header_style,
    date_style, xlsx_dates, numbers, extra_cols, omit_optional, second_sheet, dup_of
FROM (
    SELECT *, NULL AS dup_of FROM styled
    UNION ALL
    SELECT * FROM dups
);

-- 6. Every delivered row: version 0 in its batch, 1 (correction) and 2 (revocation) later.
CREATE OR REPLACE TABLE plan AS
WITH v AS (
    SELECT c.rid, 0 AS version, c.kind, c.channel || ':' || c.chunk AS file_key, c.key_date
    FROM chunked c
    UNION ALL
    SELECT x.rid, x.version, 'clean', 'fix:' || x.version || ':' || x.fix_date, c.key_date
    FROM fix x
    JOIN chunked c USING (rid)
)
SELECT
    v.rid, v.version, v.kind, f.file_id,
    CAST(row_number() OVER (PARTITION BY f.file_id ORDER BY v.key_date, v.rid) AS BIGINT) AS line_no,
    v.rid IN (SELECT rid FROM fix WHERE version = 1) AS corrected
FROM v
JOIN files f USING (file_key);

DROP TABLE slot;
DROP TABLE chan;
