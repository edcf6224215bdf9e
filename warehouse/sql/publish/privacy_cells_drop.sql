-- Free the release gate's per-file TEMP tables.
DROP TABLE IF EXISTS gate_cells;
DROP TABLE IF EXISTS privacy_tokens;
DROP TABLE IF EXISTS privacy_grouped;
