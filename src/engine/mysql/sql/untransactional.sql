-- The base tables of the current database whose engine cannot roll back
-- (MyISAM, Aria, MEMORY...), with their row counts: exact for these
-- engines, and read without waiting for a lock another session holds.
SELECT t.TABLE_NAME, t.ENGINE, COALESCE(t.TABLE_ROWS, 0)
FROM information_schema.TABLES t
JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
  AND e.TRANSACTIONS <> 'YES'
ORDER BY t.TABLE_NAME
