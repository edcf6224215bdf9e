-- Entries to and exits from the red and black lists at T (list_history), with their reasons,
-- listed as the release report shows them: black list first, entries before exits.
SELECT
    list,
    event,
    uscc,
    name,
    reason_codes,
    reason_text,
    previous_as_of
FROM list_history
WHERE as_of = $as_of
ORDER BY list = 'red', event <> 'entered', uscc
