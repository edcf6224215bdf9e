-- Published list changes (data_contracts/published/changes.yaml): entries to and exits from the red
-- and black lists after the previous release's as_of and up to $as_of. With no earlier release
-- ($previous_release_as_of NULL) only $as_of's own changes: older history is not republished, since
-- an old exit would still tell that a merchant once was on the black list.
-- Only the changes of merchants on that list in the previous release or in this one: a listing
-- that began and ended between two releases was never published, and its events would publish it
-- now, with documents that may since have been revoked (domain.md: a release holds only what is
-- disclosable on its as_of). The lists of the previous release are the warehouse's of its as_of.
WITH published_listings AS (
    SELECT 'black' AS list, uscc FROM black_list
    WHERE as_of = $as_of OR as_of = CAST($previous_release_as_of AS DATE)
    UNION
    SELECT 'red' AS list, uscc FROM red_list
    WHERE as_of = $as_of OR as_of = CAST($previous_release_as_of AS DATE)
)
SELECT
    CAST(h.as_of AS DATE) AS as_of,
    CAST(h.previous_as_of AS DATE) AS previous_as_of,
    CAST(h.list AS VARCHAR) AS list,
    CAST(h.uscc AS VARCHAR) AS uscc,
    mask_pii(h.name, $pii_pattern, $pii_replacement) AS name,
    CAST(h.event AS VARCHAR) AS event,
    CAST(h.reason_codes AS VARCHAR[]) AS reason_codes,
    mask_pii(h.reason_text, $pii_pattern, $pii_replacement) AS reason_text
FROM list_history AS h
SEMI JOIN published_listings AS l ON l.list = h.list AND l.uscc = h.uscc
WHERE h.as_of <= $as_of
  AND h.as_of > coalesce(CAST($previous_release_as_of AS DATE), CAST($as_of AS DATE) - 1)
ORDER BY h.as_of, h.list, h.uscc, h.event;
