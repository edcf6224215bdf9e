-- The lookup candidates of the file being scanned (the TEMP tables of privacy_gate_cells.sql and
-- privacy_cells.sql), added to the TEMP table gate_candidates as hashes: every value that the
-- two lookups of privacy_findings.sql compare with the raw layer's identity and phone numbers
-- (digit tokens and numbers written in groups of $known_min_length characters or more) and with
-- complainants' names (name keys). warehouse/gate_memory.py keeps them for later gates.
CREATE TEMP TABLE IF NOT EXISTS gate_candidates (kind VARCHAR, value_hash UBIGINT);

INSERT INTO gate_candidates
SELECT 'identifier', hash(token) FROM privacy_tokens WHERE length(token) >= $known_min_length
UNION
SELECT 'identifier', hash(candidate)
FROM (SELECT unnest(numbers) AS candidate FROM privacy_grouped)
WHERE length(candidate) >= $known_min_length
UNION
SELECT 'complainant_name', hash(name_key) FROM gate_cells WHERE name_key IS NOT NULL;
