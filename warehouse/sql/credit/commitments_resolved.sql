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
-- The latest delivery of each key is found on the key and lineage columns alone, then joined
-- back: a window that carries every column through its sort costs twice the CPU. A row's
-- (_file_seq, _row_number) identifies it within a validated table.
WITH winners AS (
    SELECT _file_seq, _row_number
    FROM commitments
    QUALIFY row_number() OVER (PARTITION BY commitment_code ORDER BY _file_seq DESC, _row_number DESC) = 1
),
latest AS (
    SELECT t.*
    FROM commitments AS t
    SEMI JOIN winners AS w ON w._file_seq = t._file_seq AND w._row_number = t._row_number
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
