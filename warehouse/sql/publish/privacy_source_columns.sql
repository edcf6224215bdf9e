-- Columns of the raw table $table (the privacy gate checks that its sources still exist).
SELECT column_name
FROM information_schema.columns
WHERE table_name = $table;
