SELECT co.oid::int8 AS oid, co.conname AS name, quote_ident(co.conname) AS qname,
       co.contype::text AS kind, co.conrelid::int8 AS relid, co.contypid::int8 AS typid,
       co.conindid::int8 AS indid, co.conparentid::int8 AS parentid,
       co.conislocal AS is_local, co.convalidated AS validated, co.connoinherit AS no_inherit,
       pg_get_constraintdef(co.oid) AS def
FROM pg_catalog.pg_constraint co
WHERE co.oid >= 16384 AND co.contype <> 't'
ORDER BY co.conname, co.oid
