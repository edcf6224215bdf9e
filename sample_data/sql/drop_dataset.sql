-- Free one dataset's working tables before the next dataset is built.
DROP TABLE IF EXISTS rec;
DROP TABLE IF EXISTS chunked;
DROP TABLE IF EXISTS delivery;
DROP TABLE IF EXISTS fix;
DROP TABLE IF EXISTS files;
DROP TABLE IF EXISTS plan;
DROP TABLE IF EXISTS out;
