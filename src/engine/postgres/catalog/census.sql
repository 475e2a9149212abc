-- Every user object a schema-only pg_dump of this database could write, one row
-- each: its catalog, oid, a description; the object it is written as part of, if
-- any (part_class/part_oid, else 0); the relation it lives on, if any
-- (on_class/on_oid: left out with it when that one is unsupported). Extension members
-- are left out (CREATE EXTENSION makes them), and so is what the server derives
-- by itself: array types, multiranges, row types of relations, range
-- constructors, TOAST tables, triggers cloned onto partitions.
WITH ext AS (SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e'),
user_ns AS (SELECT oid FROM pg_catalog.pg_namespace
            WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'),
objects (class, oid, part_class, part_oid, on_class, on_oid) AS (
    SELECT 'pg_namespace'::regclass, n.oid, 0::oid, 0::oid, 0::oid, 0::oid FROM pg_catalog.pg_namespace n WHERE n.oid IN (SELECT oid FROM user_ns)
    UNION ALL
    SELECT 'pg_extension'::regclass, e.oid, 0, 0, 0, 0 FROM pg_catalog.pg_extension e WHERE e.oid >= 16384
    UNION ALL
    SELECT 'pg_collation'::regclass, c.oid, 0, 0, 0, 0 FROM pg_catalog.pg_collation c WHERE c.collnamespace IN (SELECT oid FROM user_ns)
    UNION ALL
    SELECT 'pg_type'::regclass, t.oid, 0, 0, 0, 0 FROM pg_catalog.pg_type t
     WHERE t.typnamespace IN (SELECT oid FROM user_ns) AND t.typtype <> 'm'
       AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
       AND NOT (t.typelem <> 0 AND t.typlen = -1
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid))
    UNION ALL
    SELECT 'pg_proc'::regclass, p.oid, 0, 0, 0, 0 FROM pg_catalog.pg_proc p
     WHERE p.pronamespace IN (SELECT oid FROM user_ns)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                       WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
    UNION ALL
    SELECT 'pg_class'::regclass, c.oid, 0, 0, 'pg_class'::regclass, coalesce((SELECT i.indrelid FROM pg_catalog.pg_index i WHERE i.indexrelid = c.oid), 0) FROM pg_catalog.pg_class c
     WHERE c.relnamespace IN (SELECT oid FROM user_ns) AND c.relkind <> 't'
    UNION ALL
    SELECT 'pg_constraint'::regclass, co.oid, 0, 0, CASE WHEN co.conrelid <> 0 THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END, CASE WHEN co.conrelid <> 0 THEN co.conrelid ELSE co.contypid END FROM pg_catalog.pg_constraint co
     WHERE co.connamespace IN (SELECT oid FROM user_ns) AND co.contype <> 't'
    UNION ALL
    SELECT 'pg_trigger'::regclass, t.oid, 0, 0, 'pg_class'::regclass, t.tgrelid FROM pg_catalog.pg_trigger t
     WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND t.oid >= 16384
    UNION ALL
    SELECT 'pg_rewrite'::regclass, r.oid, 0, 0, 'pg_class'::regclass, r.ev_class FROM pg_catalog.pg_rewrite r
     WHERE r.rulename <> '_RETURN' AND r.oid >= 16384
    UNION ALL
    SELECT 'pg_policy'::regclass, p.oid, 0, 0, 'pg_class'::regclass, p.polrelid FROM pg_catalog.pg_policy p
    UNION ALL
    SELECT 'pg_statistic_ext'::regclass, s.oid, 0, 0, 'pg_class'::regclass, s.stxrelid FROM pg_catalog.pg_statistic_ext s
     WHERE s.stxnamespace IN (SELECT oid FROM user_ns)
    UNION ALL
    SELECT 'pg_operator'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_operator o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_opclass'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_opclass o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_opfamily'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_opfamily o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_cast'::regclass, c.oid, 0, 0, 0, 0 FROM pg_catalog.pg_cast c WHERE c.oid >= 16384
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                       WHERE d.classid = c.tableoid AND d.objid = c.oid AND d.deptype = 'i')
    UNION ALL
    SELECT 'pg_conversion'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_conversion o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_ts_config'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_ts_config o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_ts_dict'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_ts_dict o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_ts_parser'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_ts_parser o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_ts_template'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_ts_template o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_language'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_language o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_transform'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_transform o
    UNION ALL
    SELECT 'pg_am'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_am o WHERE o.oid >= 16384
    UNION ALL
    SELECT 'pg_event_trigger'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_event_trigger o
    UNION ALL
    SELECT 'pg_foreign_data_wrapper'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_foreign_data_wrapper o
    UNION ALL
    SELECT 'pg_foreign_server'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_foreign_server o
    UNION ALL
    -- pg_user_mapping itself is readable by superusers only; the view is public.
    SELECT 'pg_user_mapping'::regclass, o.umid, 'pg_foreign_server'::regclass, o.srvid, 0, 0 FROM pg_catalog.pg_user_mappings o
    UNION ALL
    SELECT 'pg_publication'::regclass, o.oid, 0, 0, 0, 0 FROM pg_catalog.pg_publication o
    UNION ALL
    SELECT 'pg_publication_rel'::regclass, o.oid, 'pg_publication'::regclass, o.prpubid, 0, 0 FROM pg_catalog.pg_publication_rel o
    UNION ALL
    SELECT 'pg_publication_namespace'::regclass, o.oid, 'pg_publication'::regclass, o.pnpubid, 0, 0 FROM pg_catalog.pg_publication_namespace o
)
SELECT o.class::oid::int8 AS class, o.oid::int8 AS oid,
       o.part_class::int8 AS part_class, o.part_oid::int8 AS part_oid,
       o.on_class::int8 AS on_class, o.on_oid::int8 AS on_oid,
       pg_catalog.pg_describe_object(o.class, o.oid, 0) AS object
FROM objects o
WHERE (o.class, o.oid) NOT IN (SELECT * FROM ext)
ORDER BY 7
