-- The figures compute_credit reports for one evaluation date.
SELECT
    e.as_of,
    e.previous_as_of,
    e.policy_version,
    (SELECT count(*) FROM merchant_credit WHERE as_of = $as_of) AS merchants,
    (SELECT count(*) FROM merchant_credit WHERE as_of = $as_of AND tier = 'A') AS tier_a,
    (SELECT count(*) FROM merchant_credit WHERE as_of = $as_of AND tier = 'B') AS tier_b,
    (SELECT count(*) FROM merchant_credit WHERE as_of = $as_of AND tier = 'C') AS tier_c,
    (SELECT count(*) FROM merchant_credit WHERE as_of = $as_of AND tier = 'D') AS tier_d,
    (SELECT count(*) FROM black_list WHERE as_of = $as_of) AS black_list,
    (SELECT count(*) FROM red_list WHERE as_of = $as_of) AS red_list,
    (SELECT count(*) FROM list_history WHERE as_of = $as_of AND list = 'black' AND event = 'entered')
        AS black_entered,
    (SELECT count(*) FROM list_history WHERE as_of = $as_of AND list = 'black' AND event = 'left') AS black_left,
    (SELECT count(*) FROM list_history WHERE as_of = $as_of AND list = 'red' AND event = 'entered') AS red_entered,
    (SELECT count(*) FROM list_history WHERE as_of = $as_of AND list = 'red' AND event = 'left') AS red_left,
    (SELECT count(*) FROM complaints_linked WHERE as_of = $as_of AND in_window AND uscc IS NULL)
        AS unlinked_complaints
FROM credit_evaluations AS e
WHERE e.as_of = $as_of;
