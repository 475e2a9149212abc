-- Which table trees reference which, to load referenced tables first.
SELECT coalesce(pg_partition_root(co.conrelid), co.conrelid)::int8 AS referencing,
       coalesce(pg_partition_root(co.confrelid), co.confrelid)::int8 AS referenced
FROM pg_catalog.pg_constraint co
WHERE co.contype = 'f' AND co.conparentid = 0
