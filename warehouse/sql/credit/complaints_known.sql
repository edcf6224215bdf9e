-- Staging for one evaluation (a temporary table, gone with the connection): the latest
-- delivery of each 投诉编号 registered on or before T. Both `merchants` (complaint respondents
-- are merchants too) and `complaints_linked` read it, so the 5M-row dedup runs once.
CREATE OR REPLACE TEMP TABLE credit_complaints_known AS
WITH latest AS (
    SELECT
        complaint_no, registered_on, respondent_name, respondent_uscc, handling_status, _file_seq, _row_number
    FROM complaints
    QUALIFY row_number() OVER (PARTITION BY complaint_no ORDER BY _file_seq DESC, _row_number DESC) = 1
)
SELECT * FROM latest WHERE registered_on <= $as_of;
