-- Columns and DuckDB types of the Parquet file $path, in file order.
SELECT column_name, column_type
FROM (DESCRIBE SELECT * FROM read_parquet($path));
