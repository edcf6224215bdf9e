-- The previous release's red and black lists, read from its immutable files rather than from the
-- warehouse, whose lists of that date may have been evaluated again, or never kept.
INSERT INTO _previous_release_listings
SELECT 'black' AS list, uscc FROM read_parquet($black_list)
UNION ALL
SELECT 'red' AS list, uscc FROM read_parquet($red_list);
