-- Template: {table} is the dataset's table, {code} the typed value of one of its USCC-checked
-- columns (data_contracts/rules.py, typed_expr). The batch's distinct codes of that column
-- that fail the GB 32100 check character, each checked once, and how many there are (at most
-- $limit are listed: validate.py checks per row when there are more).
SELECT count(*) AS invalid, list(code ORDER BY code) FILTER (WHERE n <= $limit) AS codes
FROM (
    SELECT code, row_number() OVER (ORDER BY code) AS n
    FROM (
        SELECT DISTINCT {code} AS code
        FROM raw_{table} AS r
        WHERE r._file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $dataset)
    )
    WHERE code IS NOT NULL AND NOT uscc_valid(code)
);
