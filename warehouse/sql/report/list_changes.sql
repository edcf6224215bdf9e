-- Entries to and exits from the red and black lists at T (list_history), with their reasons,
-- as the release report shows them: black list first, entries before exits. A full refresh
-- enters a whole city at once, so only the first $limit of each list and event (by USCC) are
-- returned; `total` counts them all.
SELECT
    list,
    event,
    uscc,
    name,
    reason_codes,
    reason_text,
    previous_as_of,
    count(*) OVER (PARTITION BY list, event) AS total
FROM list_history
WHERE as_of = $as_of
QUALIFY row_number() OVER (PARTITION BY list, event ORDER BY uscc) <= $limit
ORDER BY list = 'red', event <> 'entered', uscc
