-- Type and judge every row of the batch's files (batch_files.sql) by the row rules.
-- Template: {table}, {typed_select}, {columns} and {failed_rules} are filled from the
-- dataset's contract by data_contracts/rules.py (identifiers and contract-written rule
-- expressions only); every value (allowed lists, patterns, dates, thresholds) is bound.
-- Only typed columns, lineage and the failed rule ids are stored: the raw record of a row
-- that goes to quarantine is read back from raw_{table} (quarantine_rules.sql), so the
-- wide raw row is never copied and never carried through a sort or a window.
CREATE OR REPLACE TABLE staged_{table} AS
WITH typed AS (
    SELECT {typed_select}, r._file_seq, r._file_sha256, r._path, r._row_number, r._run_id
    FROM raw_{table} AS r
    WHERE r._file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset)
)
SELECT {columns}, _file_seq, _file_sha256, _path, _row_number, _run_id, {failed_rules} AS failed_rules
FROM typed;
