-- One JSONL delivery, line by line: _lines(_row_number, line) with blank lines dropped (their
-- line numbers kept), a leading byte-order mark removed, and lines that are not a JSON
-- object set aside in _rejects.
CREATE OR REPLACE TEMP TABLE _lines AS
SELECT _row_number, line
FROM (
    SELECT CAST(n AS BIGINT) AS _row_number,
           CASE WHEN n = 1 THEN ltrim(rtrim(line, chr(13)), chr(65279)) ELSE rtrim(line, chr(13)) END AS line
    FROM (
        SELECT unnest(parts) AS line, generate_subscripts(parts, 1) AS n
        FROM (SELECT string_split(content, chr(10)) AS parts FROM read_text($path))
    )
)
WHERE NOT regexp_full_match(line, '\s*');

CREATE OR REPLACE TEMP TABLE _rejects AS
SELECT _row_number,
       CASE WHEN json_valid(line) THEN 'file.jsonl_not_an_object' ELSE 'file.malformed_jsonl_line' END AS rule,
       to_json({line: line}) AS record
FROM _lines
WHERE NOT json_valid(line) OR json_type(line) <> 'OBJECT';

DELETE FROM _lines WHERE NOT json_valid(line) OR json_type(line) <> 'OBJECT';
