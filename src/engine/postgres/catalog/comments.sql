-- Comments on user objects; the public schema (oid 2200) may carry one too.
SELECT d.classoid::int8 AS class, d.objoid::int8 AS oid, d.objsubid::int4 AS sub, d.description AS text
FROM pg_catalog.pg_description d
WHERE d.objoid >= 16384 OR d.objoid = 2200
