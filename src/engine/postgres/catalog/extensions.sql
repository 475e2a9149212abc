-- Extensions created by the user (plpgsql and other bootstrap ones have small oids).
SELECT e.oid::int8 AS oid, e.extname AS name, quote_ident(e.extname) AS qname,
       quote_ident(n.nspname) AS schema_qname, n.oid::int8 AS schema_oid
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.oid >= 16384
ORDER BY e.extname
