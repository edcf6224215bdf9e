-- The rows of the candidate file $path whose key (gate_row_keys, macros.sql) is the key of no row
-- of $previous, the same file of the release the gate last cleared: the only rows whose
-- content rules can find anything (warehouse/gate_memory.py). A TEMP table of file row numbers.
-- (No DISTINCT on the previous keys: the anti join builds on them as they are, twice as fast.)
CREATE OR REPLACE TEMP TABLE gate_new_rows AS
SELECT c.row_no
FROM gate_row_keys($path, CAST($value_columns AS VARCHAR[]), CAST($null_columns AS VARCHAR[])) AS c
ANTI JOIN gate_row_keys($previous, CAST($value_columns AS VARCHAR[]), CAST($null_columns AS VARCHAR[])) AS p
    ON c.row_key IS NOT DISTINCT FROM p.row_key;
