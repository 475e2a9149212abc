-- User functions written in C or internal: they may take or return a shell
-- type, so a base type's I/O functions need only its shell.
SELECT p.oid::int8 AS oid
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE p.oid >= 16384 AND l.lanname IN ('c', 'internal')
ORDER BY 1
