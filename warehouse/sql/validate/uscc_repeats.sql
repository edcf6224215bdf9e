-- Template: {table} is the dataset's table, {aggregates} `count(c) AS codes_<c>,
-- approx_count_distinct(c) AS distinct_<c>` per USCC-checked column c of its contract: how often
-- the batch's codes of each repeat (validate.py: whether the stage checks each code per row, or
-- once per distinct code, uscc_invalid_codes.sql).
SELECT {aggregates}
FROM raw_{table}
WHERE _file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset);
