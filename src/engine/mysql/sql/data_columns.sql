-- Columns a data snapshot carries: generated ones are recomputed on load.
SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name, DATA_TYPE AS type,
       COLUMN_TYPE AS column_type, CHARACTER_SET_NAME AS charset
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE()
  AND EXTRA NOT LIKE '%GENERATED%'
ORDER BY TABLE_NAME, ORDINAL_POSITION
