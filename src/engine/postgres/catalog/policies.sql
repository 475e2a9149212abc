SELECT p.oid::int8 AS oid, p.polrelid::int8 AS relid, p.polname AS name,
       quote_ident(p.polname) AS qname, p.polcmd::text AS cmd, p.polpermissive AS permissive,
       ARRAY(SELECT CASE WHEN r.role = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.role)) END
             FROM unnest(p.polroles) WITH ORDINALITY AS r(role, pos) ORDER BY r.pos) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
FROM pg_catalog.pg_policy p
ORDER BY p.polname, p.oid
