-- Rows of the Parquet file $path that repeat the primary key $primary_key of an earlier row.
SELECT count(*) - count(DISTINCT row(*COLUMNS(lambda c: list_contains($primary_key, c)))) AS duplicates
FROM read_parquet($path);
