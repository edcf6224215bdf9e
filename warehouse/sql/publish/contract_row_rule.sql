-- Rows of the Parquet file $path that fail one duckdb-row rule of the published contract. The rule
-- text, a boolean that is TRUE when a row fails, is the contract's `implementation` and is put in
-- place of RULE_PREDICATE by warehouse/release.py (contracts are project files, never data).
SELECT count(*) AS failures, min(file_row_number) AS first_row
FROM read_parquet($path, file_row_number = true)
WHERE (RULE_PREDICATE);
