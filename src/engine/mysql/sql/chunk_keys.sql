-- Tables whose primary key starts with an integer column: their rows can be
-- read in ranges of that column, several ranges at once.
SELECT s.TABLE_NAME AS table_name, s.COLUMN_NAME AS column_name
FROM information_schema.STATISTICS s
JOIN information_schema.COLUMNS c
  ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME
 AND c.COLUMN_NAME = s.COLUMN_NAME
WHERE s.TABLE_SCHEMA = DATABASE()
  AND s.INDEX_NAME = 'PRIMARY' AND s.SEQ_IN_INDEX = 1
  AND c.DATA_TYPE IN ('tinyint', 'smallint', 'mediumint', 'int', 'bigint')
