-- Published list changes (data_contracts/published/changes.yaml): entries to and exits from the red
-- and black lists after the previous release's as_of and up to $as_of. With no earlier release
-- ($previous_release_as_of NULL) only $as_of's own changes: older history is not republished, since
-- an old exit would still tell that a merchant once was on the black list.
SELECT
    CAST(as_of AS DATE) AS as_of,
    CAST(previous_as_of AS DATE) AS previous_as_of,
    CAST(list AS VARCHAR) AS list,
    CAST(uscc AS VARCHAR) AS uscc,
    mask_pii(name, $pii_pattern, $pii_replacement) AS name,
    CAST(event AS VARCHAR) AS event,
    CAST(reason_codes AS VARCHAR[]) AS reason_codes,
    mask_pii(reason_text, $pii_pattern, $pii_replacement) AS reason_text
FROM list_history
WHERE as_of <= $as_of
  AND as_of > coalesce(CAST($previous_release_as_of AS DATE), CAST($as_of AS DATE) - 1)
ORDER BY as_of, list, uscc, event;
