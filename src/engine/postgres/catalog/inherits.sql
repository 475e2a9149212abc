-- Parents of tables (inheritance, partitions) and of partition indexes.
SELECT i.inhrelid::int8 AS child, i.inhparent::int8 AS parent,
       format('%I.%I', n.nspname, c.relname) AS parent_qname
FROM pg_catalog.pg_inherits i
JOIN pg_catalog.pg_class c ON c.oid = i.inhparent
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE i.inhrelid >= 16384
ORDER BY i.inhrelid, i.inhseqno
