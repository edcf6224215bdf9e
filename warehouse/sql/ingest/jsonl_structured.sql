-- JSONL cells that hold a list, an object or true/false, by column (the position of the key
-- in $keys, as in _incoming's c0 .. cN), each with its whole line: the ingest quarantines
-- the row when such a cell falls in a contract field (text, dates and amounts only).
INSERT INTO _structured
SELECT l._row_number, CAST(list_position($keys, e.key) - 1 AS BIGINT) AS col, to_json({line: l.line}) AS record
FROM _lines AS l, json_each(l.line) AS e
WHERE e.type IN ('ARRAY', 'OBJECT', 'BOOLEAN');
