-- The columns of one table, for LOAD DATA: what each column's type does with
-- a field. TABLE_NAME compares without case here; the caller keeps exact matches.
SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name, DATA_TYPE AS type,
       CHARACTER_SET_NAME AS charset, EXTRA LIKE '%INVISIBLE%' AS invisible
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
ORDER BY ORDINAL_POSITION
