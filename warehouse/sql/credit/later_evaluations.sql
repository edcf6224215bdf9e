-- Evaluated dates after $as_of, in order, with the policy each was evaluated under: a backfill of
-- $as_of changes the evaluation each of them follows (credit_evaluations.previous_as_of).
SELECT as_of, policy_version
FROM credit_evaluations
WHERE as_of > $as_of
ORDER BY as_of;
