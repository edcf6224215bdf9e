-- Published list changes (data_contracts/published/changes.yaml): how each list changed between the
-- previous release and this one, per merchant, with the reasons. A merchant on a list in this
-- release and not in the previous one: its latest entry since the previous release's as_of. On it
-- in the previous release and not in this one: its first exit since then, the one that ended the
-- listing that was published. Listings that began and ended between the two releases were never
-- published and are not now (their documents may since have been revoked: domain.md, a release
-- holds only what is disclosable on its as_of), nor are an exit and re-entry between them. The
-- previous release's lists are its own files (_previous_release_listings, publish/previous_listings).
-- With no earlier release only $as_of's own entries: older history is not republished, since an old
-- exit would still tell that a merchant once was on the black list.
WITH listed_now AS (
    SELECT 'black' AS list, uscc FROM black_list WHERE as_of = $as_of
    UNION ALL
    SELECT 'red' AS list, uscc FROM red_list WHERE as_of = $as_of
),
since_previous AS (
    SELECT
        h.*,
        row_number() OVER (PARTITION BY h.list, h.uscc, h.event ORDER BY h.as_of) AS first_of_its_kind,
        row_number() OVER (PARTITION BY h.list, h.uscc, h.event ORDER BY h.as_of DESC) AS last_of_its_kind,
        EXISTS (SELECT 1 FROM listed_now AS n WHERE n.list = h.list AND n.uscc = h.uscc) AS in_this_release,
        EXISTS (
            SELECT 1 FROM _previous_release_listings AS p WHERE p.list = h.list AND p.uscc = h.uscc
        ) AS in_previous_release
    FROM list_history AS h
    WHERE h.as_of <= $as_of
      AND h.as_of > coalesce(CAST($previous_release_as_of AS DATE), CAST($as_of AS DATE) - 1)
)
SELECT
    CAST(as_of AS DATE) AS as_of,
    CAST(previous_as_of AS DATE) AS previous_as_of,
    CAST(list AS VARCHAR) AS list,
    CAST(uscc AS VARCHAR) AS uscc,
    mask_pii(name, $pii_pattern, $pii_replacement) AS name,
    CAST(event AS VARCHAR) AS event,
    CAST(reason_codes AS VARCHAR[]) AS reason_codes,
    mask_pii(reason_text, $pii_pattern, $pii_replacement) AS reason_text
FROM since_previous
WHERE (event = 'entered' AND last_of_its_kind = 1 AND in_this_release AND NOT in_previous_release)
   OR (event = 'left' AND first_of_its_kind = 1 AND in_previous_release AND NOT in_this_release)
ORDER BY as_of, list, uscc, event;
