-- Column names (nested ones too) of the Parquet file $path that the disclosure policy forbids.
SELECT DISTINCT name AS column_name
FROM parquet_schema($path)
WHERE list_contains($forbidden_columns, lower(name))
   OR len(list_filter($forbidden_column_patterns, lambda p: regexp_matches(lower(name), p))) > 0
ORDER BY column_name;
