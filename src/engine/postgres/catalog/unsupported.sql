-- User objects of kinds that dbsnap does not export. Extension members are
-- excluded: CREATE EXTENSION recreates them.
WITH ext AS (SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e')
SELECT 'pg_operator'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'operator ' || o.oid::regoperator::text AS object FROM pg_catalog.pg_operator o
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_cast'::regclass::oid::int8 AS class, c.oid::int8 AS oid, 'cast (' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ')'
  FROM pg_catalog.pg_cast c WHERE c.oid >= 16384 AND (c.tableoid, c.oid) NOT IN (SELECT * FROM ext)
   -- Casts between a range and its multirange are made with the range type.
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                   WHERE d.classid = c.tableoid AND d.objid = c.oid AND d.deptype = 'i')
UNION ALL
SELECT 'pg_opclass'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'operator class ' || format('%I.%I', n.nspname, o.opcname) FROM pg_catalog.pg_opclass o
  JOIN pg_catalog.pg_namespace n ON n.oid = o.opcnamespace
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_opfamily'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'operator family ' || format('%I.%I', n.nspname, o.opfname) FROM pg_catalog.pg_opfamily o
  JOIN pg_catalog.pg_namespace n ON n.oid = o.opfnamespace
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_ts_config'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'text search configuration ' || format('%I.%I', n.nspname, o.cfgname) FROM pg_catalog.pg_ts_config o
  JOIN pg_catalog.pg_namespace n ON n.oid = o.cfgnamespace
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_ts_dict'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'text search dictionary ' || format('%I.%I', n.nspname, o.dictname) FROM pg_catalog.pg_ts_dict o
  JOIN pg_catalog.pg_namespace n ON n.oid = o.dictnamespace
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_ts_parser'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'text search parser ' || o.prsname FROM pg_catalog.pg_ts_parser o
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_ts_template'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'text search template ' || o.tmplname FROM pg_catalog.pg_ts_template o
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_conversion'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'conversion ' || o.conname FROM pg_catalog.pg_conversion o
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_event_trigger'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'event trigger ' || quote_ident(o.evtname) FROM pg_catalog.pg_event_trigger o
 WHERE (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_foreign_data_wrapper'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'foreign data wrapper ' || quote_ident(o.fdwname) FROM pg_catalog.pg_foreign_data_wrapper o
 WHERE (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_foreign_server'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'foreign server ' || quote_ident(o.srvname) FROM pg_catalog.pg_foreign_server o
 WHERE (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_class'::regclass::oid::int8 AS class, c.oid::int8 AS oid, 'foreign table ' || c.oid::regclass::text FROM pg_catalog.pg_class c
 WHERE c.relkind = 'f' AND (c.tableoid, c.oid) NOT IN (SELECT * FROM ext)

UNION ALL
SELECT 'pg_publication'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'publication ' || quote_ident(o.pubname) FROM pg_catalog.pg_publication o
UNION ALL
SELECT 'pg_language'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'language ' || quote_ident(o.lanname) FROM pg_catalog.pg_language o
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_transform'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'transform for ' || format_type(o.trftype, NULL) FROM pg_catalog.pg_transform o
 WHERE (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_am'::regclass::oid::int8 AS class, o.oid::int8 AS oid, 'access method ' || quote_ident(o.amname) FROM pg_catalog.pg_am o
 WHERE o.oid >= 16384 AND (o.tableoid, o.oid) NOT IN (SELECT * FROM ext)
UNION ALL
SELECT 'pg_type'::regclass::oid::int8 AS class, t.oid::int8 AS oid, 'base or shell type ' || format('%I.%I', n.nspname, t.typname) FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.oid >= 16384 AND t.typtype IN ('b', 'p')
   -- Array types come with their element type; a base type may have an element too.
   AND NOT (t.typelem <> 0 AND t.typlen = -1
            AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid))
   AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
   AND (t.tableoid, t.oid) NOT IN (SELECT * FROM ext)
ORDER BY 3
