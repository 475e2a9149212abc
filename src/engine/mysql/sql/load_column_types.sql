-- The COLUMN_TYPE of every column of one table, to compare with the types a
-- data file records. TABLE_NAME compares without case here; the caller keeps
-- exact matches.
SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name, COLUMN_TYPE AS column_type
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
