-- Values the privacy gate looks for by equality, gathered from the raw layer for this scan only
-- (a TEMP table: it never leaves the connection and is dropped with it).
CREATE OR REPLACE TEMP TABLE privacy_known (kind VARCHAR, value VARCHAR);
