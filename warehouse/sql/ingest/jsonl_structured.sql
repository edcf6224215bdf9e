-- JSONL cells that hold a list, an object or true/false, by column (the position of the key
-- in $keys, as in _incoming's c0 .. cN), each with its whole line: the ingest quarantines
-- the row when such a cell falls in a contract field (text, dates and amounts only).
-- Such a value is written with a `[`, a second `{`, or the word true or false (structure is
-- never escaped): a line with none of them holds none, and is not parsed again by json_each
-- (parsing every line was 2.8 s of the complaints' 54 CPU seconds at scale 20).
INSERT INTO _structured
SELECT l._row_number, CAST(list_position($keys, e.key) - 1 AS BIGINT) AS col, to_json({line: l.line}) AS record
FROM (
    SELECT _row_number, line
    FROM _lines
    WHERE contains(line, '[')
       OR contains(line, 'true')
       OR contains(line, 'false')
       OR contains(substr(line, strpos(line, '{') + 1), '{')
) AS l, json_each(l.line) AS e
WHERE e.type IN ('ARRAY', 'OBJECT', 'BOOLEAN');
