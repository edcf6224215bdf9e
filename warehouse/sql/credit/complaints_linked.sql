-- Complaints that can count at T, linked to merchants (credit-policy.md section 2): by the
-- respondent's USCC, or, when that is blank, by exact normalised name when exactly one merchant
-- has that name (`name_matches` says how many did). Unlinked complaints stay, counted but not
-- scored. "Can count" means registered within the longest complaint window of the policy (the
-- score's and the red list's): an older complaint changes no figure at T, and every evaluated
-- date keeps its own rows (at scale 20, 2.2 M of the 5.0 M complaints known at T). Every
-- complaint stays in `complaints`. Complainant fields never reach this table, nor anything else
-- scoring does not need.
CREATE TABLE IF NOT EXISTS complaints_linked (
    as_of DATE NOT NULL,
    complaint_no VARCHAR,
    registered_on DATE,
    respondent_name VARCHAR,
    uscc VARCHAR,
    link_method VARCHAR,
    name_matches INTEGER,
    handling_status VARCHAR,
    accepted BOOLEAN,
    unresolved BOOLEAN,
    in_window BOOLEAN
);

DELETE FROM complaints_linked WHERE as_of = $as_of;

INSERT INTO complaints_linked BY NAME
-- norm_name is costly, so it runs once per distinct respondent name of a blank-code complaint.
WITH countable AS (
    SELECT *
    FROM credit_complaints_known
    WHERE registered_on > $as_of - greatest($complaints_window_days, $red_list_complaint_window_days)
),
blank_names AS MATERIALIZED (
    SELECT respondent_name, norm_name(respondent_name) AS name_key
    FROM (SELECT DISTINCT respondent_name FROM countable WHERE respondent_uscc IS NULL)
),
name_index AS (
    SELECT name_key, min(uscc) AS uscc, CAST(count(DISTINCT uscc) AS INTEGER) AS merchants
    FROM (SELECT uscc, unnest(names) AS name_key FROM merchants WHERE as_of = $as_of)
    WHERE name_key IN (SELECT name_key FROM blank_names)
    GROUP BY name_key
),
name_links AS (
    SELECT b.respondent_name, n.uscc, coalesce(n.merchants, 0) AS merchants
    FROM blank_names AS b
    LEFT JOIN name_index AS n USING (name_key)
)
SELECT
    $as_of AS as_of,
    c.complaint_no,
    c.registered_on,
    c.respondent_name,
    CASE
        WHEN c.respondent_uscc IS NOT NULL THEN c.respondent_uscc
        WHEN n.merchants = 1 THEN n.uscc
    END AS uscc,
    CASE
        WHEN c.respondent_uscc IS NOT NULL THEN 'uscc'
        WHEN n.merchants = 1 THEN 'name'
    END AS link_method,
    n.merchants AS name_matches,
    c.handling_status,
    NOT coalesce(list_contains($complaints_not_accepted_statuses, c.handling_status), false) AS accepted,
    coalesce(list_contains($complaints_unresolved_statuses, c.handling_status), false)
        OR (coalesce(list_contains($complaints_pending_statuses, c.handling_status), false)
            AND $as_of - c.registered_on > $complaints_pending_max_days) AS unresolved,
    c.registered_on > $as_of - $complaints_window_days AS in_window
FROM countable AS c
LEFT JOIN name_links AS n
    ON c.respondent_uscc IS NULL AND n.respondent_name = c.respondent_name;
