-- Triggers the server cloned onto partitions from a parent's trigger, with the
-- enabled state of the clone and of the trigger it was cloned from.
SELECT t.oid::int8 AS oid, t.tgrelid::int8 AS relid, t.tgparentid::int8 AS parent,
       t.tgname AS name, quote_ident(t.tgname) AS qname,
       t.tgenabled::text AS enabled, p.tgenabled::text AS parent_enabled
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_trigger p ON p.oid = t.tgparentid
ORDER BY t.tgname, t.oid
