-- Promotion into an empty validated table: the staged table keeps only the batch's passing
-- rows, loses its rule-id column and takes the validated table's name.
-- Template: {table} and {in_batch} (validate._in_batch: TRUE for a row of the batch).
DELETE FROM staged_{table} WHERE NOT ({in_batch});
ALTER TABLE staged_{table} DROP COLUMN failed_rules;
DROP TABLE {table};
ALTER TABLE staged_{table} RENAME TO {table};
