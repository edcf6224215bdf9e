-- How many values the gate looks up now (privacy_known) equal, by hash, a lookup candidate of the
-- remembered releases: each one could be a finding in a row the gate would not read again.
SELECT count(*) AS hits
FROM privacy_known AS k
SEMI JOIN release_gate_candidates AS c ON c.kind = k.kind AND c.value_hash = hash(k.value);
