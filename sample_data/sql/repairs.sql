-- 信用修复决定: for about 6% of publishable, unrevoked penalties of merchants, dated after the
-- minimum disclosure period (1 month minor, 3 months general, 1 year serious) and on or
-- before as_of. Some repair serious penalties whose categories make them unrepairable: the
-- pipeline must keep those and not apply them.
CREATE OR REPLACE TABLE rec AS
WITH c AS (
    SELECT
        k.*,
        CASE k.cls WHEN 'serious' THEN add_years(k.decision_date, 1)
                   WHEN 'general' THEN add_months(k.decision_date, 3)
                   ELSE k.decision_date + 30 END
            + CAST(floor(rnd(k.pen_rid, 'repair-day') * 300) AS INTEGER) AS repair_date
    FROM pen_keep k
    WHERE NOT k.is_person AND k.publishable AND rnd(k.pen_rid, 'repair') < 0.06
), r AS (
    SELECT c.*, row_number() OVER (ORDER BY c.repair_date, c.pen_rid) AS rid
    FROM c
    WHERE c.repair_date <= $as_of::DATE
)
SELECT
    rid,
    repair_date AS key_date,
    repair_date AS ready_date,
    uscc,
    false AS is_person,
    false AS can_correct,
    false AS can_revoke,
    'XYXF' || strftime(repair_date, '%Y') || printf('%07d', rid) AS repair_no,
    party_name,
    decision_doc_no AS penalty_doc_no,
    repair_date,
    CASE WHEN rnd(pen_rid, 'repair-authority') < 0.7 THEN authority ELSE '武汉市发展和改革委员会' END AS repair_authority
FROM r;

DROP TABLE pen_keep;
