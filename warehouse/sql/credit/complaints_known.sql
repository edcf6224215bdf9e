-- Staging for one evaluation (a temporary table, gone with the connection): the latest
-- delivery of each 投诉编号 registered on or before T. Both `merchants` (complaint respondents
-- are merchants too) and `complaints_linked` read it, so the 5M-row dedup runs once.
CREATE OR REPLACE TEMP TABLE credit_complaints_known AS
SELECT complaint_no, registered_on, respondent_name, respondent_uscc, handling_status, _file_seq, _row_number
FROM latest_deliveries('complaints', ['complaint_no'])  -- macros.sql
WHERE registered_on <= $as_of;
