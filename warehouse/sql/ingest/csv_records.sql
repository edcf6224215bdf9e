-- One UTF-8 CSV delivery as records `_row_number, c0 .. cN`, every value as text, _row_number
-- being the ordinal of the accepted record (row_number() OVER () streams in scan order, and the
-- scan keeps file order: preserve_insertion_order is on, see warehouse/db.py). The one
-- definition of the dialect for both reads of a CSV (readers.csv_records): the ingest's direct
-- path inserts these records into the raw table as they are parsed, the general read copies
-- them into _csv_records first to number them around gaps (number_csv_rows.sql).
-- The dialect is fixed (no sniffing: a hostile file must not change how it is parsed);
-- malformed records land in _csv_rejects instead of stopping the file.
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
