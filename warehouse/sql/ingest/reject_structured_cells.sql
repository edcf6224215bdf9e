-- A contract field ($field_columns: the c-column positions that map to one) holding a list,
-- an object or true/false is not a value the field can take, whatever its text would be:
-- the row goes to quarantine with its raw line. Structures in extra columns are kept as they are.
CREATE OR REPLACE TEMP TABLE _structured_rows AS
SELECT _row_number, any_value(record) AS record
FROM _structured
WHERE list_contains(CAST($field_columns AS BIGINT[]), col)
  AND _row_number IN (SELECT _row_number FROM _incoming)  -- not already rejected (a NUL, say)
GROUP BY _row_number;

INSERT INTO _rejects
SELECT _row_number, 'file.structured_value', record FROM _structured_rows;

DELETE FROM _incoming WHERE _row_number IN (SELECT _row_number FROM _structured_rows);

DROP TABLE _structured_rows;
