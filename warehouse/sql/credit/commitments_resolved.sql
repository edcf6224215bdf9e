-- Credit commitments as of T: the latest delivery of each 承诺编码, then only those made on or
-- before T. The judgement counts from 认定日期, else from 作出日期 (`effective_judgement_date`),
-- and only once that date is on or before T (`judgement_known`): a judgement dated after T had
-- not been made at T.
CREATE TABLE IF NOT EXISTS commitments_resolved (
    as_of DATE NOT NULL,
    commitment_code VARCHAR,
    committer_name VARCHAR,
    committer_type VARCHAR,
    committer_uscc VARCHAR,
    commitment_type VARCHAR,
    reason VARCHAR,
    content VARCHAR,
    made_on DATE,
    validity VARCHAR,
    fulfilment_status VARCHAR,
    judged_on DATE,
    effective_judgement_date DATE,
    judgement_known BOOLEAN,
    acceptor VARCHAR,
    acceptor_code VARCHAR,
    disclosure_type VARCHAR,
    source_file_seq BIGINT,
    source_path VARCHAR,
    source_row_number BIGINT
);

DELETE FROM commitments_resolved WHERE as_of = $as_of;

INSERT INTO commitments_resolved BY NAME
WITH latest AS (
    SELECT * FROM latest_deliveries('commitments', ['commitment_code'])  -- macros.sql
)
SELECT
    $as_of AS as_of,
    commitment_code,
    committer_name,
    committer_type,
    committer_uscc,
    commitment_type,
    reason,
    content,
    made_on,
    validity,
    fulfilment_status,
    judged_on,
    coalesce(judged_on, made_on) AS effective_judgement_date,
    coalesce(judged_on, made_on) <= $as_of AS judgement_known,
    acceptor,
    acceptor_code,
    disclosure_type,
    _file_seq AS source_file_seq,
    _path AS source_path,
    _row_number AS source_row_number
FROM latest
WHERE made_on <= $as_of;
