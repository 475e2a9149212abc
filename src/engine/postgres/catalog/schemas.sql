-- Schemas that belong to the user (system and toast schemas excluded).
SELECT n.oid::int8 AS oid, n.nspname AS name, quote_ident(n.nspname) AS qname,
       pg_get_userbyid(n.nspowner) = 'pg_database_owner' AS default_owner
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY n.nspname
