-- Start a gate with no lookup candidates gathered (privacy_candidates.sql).
CREATE OR REPLACE TEMP TABLE gate_candidates (kind VARCHAR, value_hash UBIGINT);
