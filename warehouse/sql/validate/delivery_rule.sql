-- One rule over the whole delivery (a window function, engine duckdb-delivery): it reads
-- only the staged columns it names, and adds its id to the rows it fails.
-- Template: {table} and {condition} (the contract's rule expression) from the contract.
UPDATE staged_{table} AS s
SET failed_rules = list_append(s.failed_rules, $rule)
FROM (
    SELECT _file_seq, _row_number
    FROM (SELECT _file_seq, _row_number, {condition} AS failing FROM staged_{table})
    WHERE failing
) AS d
WHERE s._file_seq = d._file_seq AND s._row_number = d._row_number;
