-- User triggers; internal ones (FKs) and clones on partitions are recreated by the server.
SELECT t.oid::int8 AS oid, t.tgrelid::int8 AS relid, t.tgname AS name,
       quote_ident(t.tgname) AS qname, pg_get_triggerdef(t.oid) AS def,
       t.tgenabled::text AS enabled
FROM pg_catalog.pg_trigger t
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND t.oid >= 16384
ORDER BY t.tgname, t.oid
