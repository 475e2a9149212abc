-- Columns of user relations and composite types, in column order.
SELECT a.attrelid::int8 AS relid, a.attnum::int4 AS num, a.attname AS name,
       quote_ident(a.attname) AS qname, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, a.attislocal AS is_local, a.attinhcount::int4 AS inh_count,
       a.attidentity::text AS identity, a.attgenerated::text AS generated,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       CASE WHEN a.attcollation <> t.typcollation
            THEN format('%I.%I', cn.nspname, co.collname) END AS collation,
       coalesce(a.attstattarget, -1)::int4 AS stat_target,
       CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END AS storage,
       -- Options named pg_* are the server's own bookkeeping (this build tags
       -- every column with pg_attver), not settings a user made.
       ARRAY(SELECT o FROM unnest(a.attoptions) o WHERE o !~ '^pg_') AS options,
       nullif(a.attcompression::text, '') AS compression,
       (SELECT string_agg(quote_ident(o.option_name) || ' ' || quote_literal(o.option_value),
                          E',\n    ' ORDER BY o.option_name)
        FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o) AS foreign_options
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
ORDER BY a.attrelid, a.attnum
