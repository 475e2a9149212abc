-- Tables, views and sequences of the current database.
SELECT TABLE_NAME AS name, TABLE_TYPE AS kind
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME
