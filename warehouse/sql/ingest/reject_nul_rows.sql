-- A NUL character is never data in a 双公示 record (it is what UTF-16 or binary junk looks
-- like once read as text): a row holding one goes to quarantine whole, under its header names
-- ($keys, one per column c0 .. cN), instead of carrying the NUL into the warehouse.
CREATE OR REPLACE TEMP TABLE _nul_rows AS
SELECT _row_number,
       to_json(map_from_entries(list_zip($keys, list_value(*COLUMNS('^c[0-9]+$'))))) AS record
FROM _incoming
-- The cells joined by chr(1) hold a NUL exactly when one cell does (NULL cells are skipped):
-- no list and no lambda per row (6 s over the files of a 500,000-merchant city).
WHERE contains(concat_ws(chr(1), *COLUMNS('^c[0-9]+$')), chr(0));

INSERT INTO _rejects
SELECT _row_number, 'file.nul_character', record FROM _nul_rows;

DELETE FROM _incoming WHERE _row_number IN (SELECT _row_number FROM _nul_rows);

DROP TABLE _nul_rows;
