-- One UTF-8 CSV delivery into _incoming(_row_number, c0 .. cN), every value as text.
-- The dialect is fixed (no sniffing: a hostile file must not change how it is parsed);
-- malformed records land in _csv_rejects instead of stopping the file.
CREATE OR REPLACE TEMP TABLE _incoming AS
SELECT CAST(row_number() OVER () AS BIGINT) AS _row_number, *
FROM read_csv(
    $path,
    header = false,
    skip = 1,
    columns = $columns,
    delim = ',',
    quote = '"',
    escape = '"',
    auto_detect = false,
    strict_mode = true,
    store_rejects = true,
    rejects_table = '_csv_rejects',
    rejects_scan = '_csv_scans',
    max_line_size = 10000000
);

CREATE OR REPLACE TEMP TABLE _rejects AS
SELECT CAST(line - 1 AS BIGINT) AS _row_number,
       'file.malformed_csv_row' AS rule,
       to_json({line: csv_line, error: error_message}) AS record
FROM _csv_rejects;
