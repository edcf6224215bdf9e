-- The rows of one file, in file order.
SELECT * EXCLUDE (file_id, line_no) FROM out WHERE file_id = $file_id ORDER BY line_no;
