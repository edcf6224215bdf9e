-- One UTF-8 CSV delivery into _csv_records(_k, c0 .. cN), every value as text, _k being the
-- ordinal of the accepted record (row_number() OVER () streams in scan order, and the scan
-- keeps file order: preserve_insertion_order is on, see warehouse/db.py).
-- The dialect is fixed (no sniffing: a hostile file must not change how it is parsed);
-- malformed records land in _csv_rejects instead of stopping the file.
CREATE OR REPLACE TEMP TABLE _csv_records AS
SELECT row_number() OVER () AS _k, *
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
    max_line_size = $max_line_size
);

-- DuckDB may report several errors for one record (one per missing column, say): one
-- quarantine row per record, with every error. `line` counts records (a quoted line break
-- does not start a new one) and empty lines, the header being line 1.
CREATE OR REPLACE TEMP TABLE _rejects AS
SELECT CAST(line - 1 AS BIGINT) AS _row_number,
       'file.malformed_csv_row' AS rule,
       to_json({line: min(csv_line), errors: list(DISTINCT error_message ORDER BY error_message)}) AS record
FROM _csv_rejects
GROUP BY line
ORDER BY line;
