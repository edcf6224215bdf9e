-- Staging for one evaluation (a temporary table, gone with the connection): the latest
-- delivery of each 投诉编号 registered on or before T. Both `merchants` (complaint respondents
-- are merchants too) and `complaints_linked` read it, so the 5M-row dedup runs once.
-- Only the rows of the numbers delivered more than once are sorted, and the ones a later delivery
-- superseded are left out: sorting every complaint took twice as long.
CREATE OR REPLACE TEMP TABLE credit_complaints_known AS
WITH superseded AS (
    SELECT t._file_seq, t._row_number
    FROM complaints AS t
    SEMI JOIN (SELECT complaint_no FROM complaints GROUP BY ALL HAVING count(*) > 1) AS d
        ON d.complaint_no IS NOT DISTINCT FROM t.complaint_no
    QUALIFY row_number() OVER (
        PARTITION BY t.complaint_no ORDER BY t._file_seq DESC, t._row_number DESC
    ) > 1
)
SELECT complaint_no, registered_on, respondent_name, respondent_uscc, handling_status, _file_seq, _row_number
FROM complaints AS t
ANTI JOIN superseded AS s ON s._file_seq = t._file_seq AND s._row_number = t._row_number
WHERE registered_on <= $as_of;
