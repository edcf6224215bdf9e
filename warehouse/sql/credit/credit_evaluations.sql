-- One row per evaluated date T. `previous_as_of` is the latest earlier evaluated date: the red
-- list carries `listed_since` over from it and list_history compares against it. A rerun of T
-- replaces its row, so the chain of evaluations stays one row per date.
CREATE TABLE IF NOT EXISTS credit_evaluations (
    as_of DATE NOT NULL,
    previous_as_of DATE,
    policy_version VARCHAR NOT NULL
);

DELETE FROM credit_evaluations WHERE as_of = $as_of;

INSERT INTO credit_evaluations BY NAME
SELECT
    $as_of AS as_of,
    (SELECT max(as_of) FROM credit_evaluations WHERE as_of < $as_of) AS previous_as_of,
    $policy_version AS policy_version;
