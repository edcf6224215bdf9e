-- The merchants on each list in the previous release, as its own files published them (changes.sql
-- compares them with this release's lists): none until publish/previous_listings fills them.
CREATE OR REPLACE TEMP TABLE _previous_release_listings (list VARCHAR NOT NULL, uscc VARCHAR NOT NULL);
