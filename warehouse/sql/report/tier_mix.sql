-- The release report's tier mix: merchants by tier as of T, per district (USCC characters 3-8)
-- and per sector (行业代码 of the latest permit), with how many of them are on each list.
SELECT
    CASE WHEN grouping(district_code) = 0 THEN 'district' ELSE 'sector' END AS dimension,
    coalesce(CASE WHEN grouping(district_code) = 0 THEN district_code ELSE sector END, '(unknown)') AS key,
    count(*) FILTER (WHERE tier = 'A') AS a,
    count(*) FILTER (WHERE tier = 'B') AS b,
    count(*) FILTER (WHERE tier = 'C') AS c,
    count(*) FILTER (WHERE tier = 'D') AS d,
    count(*) AS merchants,
    count(*) FILTER (WHERE on_red_list) AS red_list,
    count(*) FILTER (WHERE on_black_list) AS black_list
FROM merchant_credit
WHERE as_of = $as_of
GROUP BY GROUPING SETS ((district_code), (sector))
ORDER BY dimension, merchants DESC, key
