-- Tables, views, materialized views and foreign tables (with their server and options).
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name,
       format('%I.%I', n.nspname, c.relname) AS qname, c.relkind::text AS kind,
       c.relpersistence::text AS persistence,
       array_cat(c.reloptions,
                 ARRAY(SELECT 'toast.' || o FROM pg_catalog.pg_class t, unnest(t.reloptions) o
                       WHERE t.oid = c.reltoastrelid)) AS options,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partbound,
       c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
       c.relreplident::text AS replident,
       CASE WHEN c.reloftype <> 0 THEN format_type(c.reloftype, NULL) END AS of_type,
       c.relispopulated AS populated,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS viewdef,
       -- Tables and materialized views not stored by heap, the default, say how.
       CASE WHEN am.amname <> 'heap' THEN quote_ident(am.amname) END AS access_method,
       quote_ident(fs.srvname) AS server,
       (SELECT string_agg(quote_ident(o.option_name) || ' ' || quote_literal(o.option_value),
                          E',\n    ' ORDER BY o.option_name)
        FROM pg_catalog.pg_options_to_table(ft.ftoptions) o) AS foreign_options
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
LEFT JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = c.oid
LEFT JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY n.nspname, c.relname
