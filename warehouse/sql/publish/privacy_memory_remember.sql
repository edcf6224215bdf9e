-- Remember a cleared release: after a full scan ($full_scan) its candidates replace everything
-- remembered; after a scan of its new rows they are added to the earlier releases' candidates.
DELETE FROM release_gate_memory WHERE $full_scan;

DELETE FROM release_gate_candidates WHERE $full_scan;

INSERT INTO release_gate_candidates SELECT DISTINCT kind, value_hash FROM gate_candidates;

INSERT INTO release_gate_memory VALUES (
    $release_id, $manifest_sha256, $fingerprint, $name_shortest, $name_longest, $full_scan,
    (SELECT count(*) FROM release_gate_candidates), now()
);

DROP TABLE IF EXISTS gate_candidates;
