-- The memory of release $release_id, cleared with manifest $manifest_sha256 under rules
-- $fingerprint, while release_gate_candidates still holds every hash it held then.
SELECT name_shortest, name_longest
FROM release_gate_memory
WHERE release_id = $release_id
  AND manifest_sha256 = $manifest_sha256
  AND fingerprint = $fingerprint
  AND candidates_total <= (SELECT count(*) FROM release_gate_candidates)
ORDER BY remembered_at DESC
LIMIT 1;
