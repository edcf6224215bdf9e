-- The records of a CSV delivery that DuckDB rejected (_csv_rejects, filled by the read of
-- csv_records.sql) as quarantine rows of `_rejects`.
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
