-- Publications, then the tables (with column lists and row filters) and
-- schemas they publish, each its own statement as pg_dump writes them.
SELECT 'pg_catalog.pg_publication'::regclass::oid::int8 AS class, p.oid::int8 AS oid,
       0::int8 AS pub, 0::int8 AS rel, '' AS schema, p.pubname AS name,
       'PUBLICATION ' || quote_ident(p.pubname) AS target, 'PUBLICATION ' || quote_ident(p.pubname) AS label,
       'CREATE PUBLICATION ' || quote_ident(p.pubname)
       || CASE WHEN p.puballtables THEN ' FOR ALL TABLES' ELSE '' END
       || ' WITH (publish = '''
       || array_to_string(ARRAY[CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END,
                                CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END], ', ')
       || ''''
       || CASE WHEN p.pubviaroot THEN ', publish_via_partition_root = true' ELSE '' END
       || E');\n' AS ddl
FROM pg_catalog.pg_publication p
UNION ALL
SELECT 'pg_catalog.pg_publication_rel'::regclass::oid::int8, pr.oid::int8, pr.prpubid::int8, pr.prrelid::int8,
       n.nspname, p.pubname || ' ' || c.relname, '',
       format('PUBLICATION TABLE %I.%I IN %I', n.nspname, c.relname, p.pubname),
       format('ALTER PUBLICATION %I ADD TABLE ONLY %I.%I', p.pubname, n.nspname, c.relname)
       || coalesce(' (' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                            FROM pg_catalog.pg_attribute a
                            WHERE a.attrelid = pr.prrelid AND a.attnum = ANY (pr.prattrs::int2[])) || ')', '')
       || coalesce(' WHERE (' || pg_get_expr(pr.prqual, pr.prrelid) || ')', '')
       || E';\n'
FROM pg_catalog.pg_publication_rel pr
JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'pg_catalog.pg_publication_namespace'::regclass::oid::int8, pn.oid::int8, pn.pnpubid::int8, 0,
       n.nspname, p.pubname, '',
       format('PUBLICATION SCHEMA %I IN %I', n.nspname, p.pubname),
       format(E'ALTER PUBLICATION %I ADD TABLES IN SCHEMA %I;\n', p.pubname, n.nspname)
FROM pg_catalog.pg_publication_namespace pn
JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
ORDER BY 1, 5, 6, 8
