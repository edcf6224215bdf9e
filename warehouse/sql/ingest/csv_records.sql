-- One UTF-8 CSV delivery as records `_row_number, c0 .. cN`, read in the same fixed dialect as
-- read_csv.sql, for the ingest's direct path (warehouse/ingest.py, `_ingest_csv_direct`): a
-- file with no empty line can be numbered as it is scanned (row_number() OVER () streams in
-- scan order, and the scan keeps file order: preserve_insertion_order is on). A record the
-- parser rejects lands in _csv_rejects; the ingest then rolls back and reads the file through
-- read_csv.sql, which numbers the records around the gaps.
SELECT row_number() OVER () AS _row_number, *
FROM read_csv(
    $source,
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
)
