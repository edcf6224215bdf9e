-- The files of the dataset being written; originals before the duplicates that copy them.
SELECT * FROM files ORDER BY dup_of IS NOT NULL, file_id;
