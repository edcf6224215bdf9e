-- The shortest and longest complainant name looked for (privacy_known), in bytes (NULL, NULL: no
-- name to look for), as the variable gate_name_bytes, which DuckDB folds into the queries of
-- privacy_gate_cells.sql as constants. The gate memory records the same value
-- (warehouse/gate_memory.py, privacy_name_bytes_value.sql): the lengths name keys were kept for.
CREATE TEMP TABLE IF NOT EXISTS privacy_known (kind VARCHAR, value VARCHAR);

SET VARIABLE gate_name_bytes = (
    SELECT {'shortest': min(strlen(value)), 'longest': max(strlen(value))}
    FROM privacy_known
    WHERE kind = 'complainant_name'
);
