-- Every column of the rows of $path listed in gate_new_rows (privacy_new_rows.sql), in file order:
-- written to a file of the same schema for the gate to scan (warehouse/gate_memory.py).
SELECT * EXCLUDE (file_row_number)
FROM read_parquet($path, file_row_number = true)
SEMI JOIN gate_new_rows ON gate_new_rows.row_no = file_row_number
ORDER BY file_row_number;
