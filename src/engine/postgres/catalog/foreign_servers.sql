-- Foreign servers with their user mappings (pg_user_mappings: the catalog
-- itself is for superusers only). A mapping's password option is left out:
-- passwords never go into a snapshot (see user_mapping_passwords.sql).
SELECT s.oid::int8 AS oid, '' AS schema, s.srvname AS name,
       'SERVER ' || quote_ident(s.srvname) AS target,
       'CREATE SERVER ' || quote_ident(s.srvname)
       || coalesce(' TYPE ' || quote_literal(nullif(s.srvtype, '')), '')
       || coalesce(' VERSION ' || quote_literal(nullif(s.srvversion, '')), '')
       || ' FOREIGN DATA WRAPPER ' || quote_ident(w.fdwname)
       || coalesce(E' OPTIONS (\n    '
                   || (SELECT string_agg(quote_ident(o.option_name) || ' ' || quote_literal(o.option_value),
                                         E',\n    ' ORDER BY o.option_name)
                       FROM pg_catalog.pg_options_to_table(s.srvoptions) o)
                   || E'\n)', '')
       || E';\n'
       || coalesce((SELECT string_agg(
                        'CREATE USER MAPPING FOR ' || quote_ident(um.usename) || ' SERVER ' || quote_ident(s.srvname)
                        || coalesce(E' OPTIONS (\n    '
                                    || (SELECT string_agg(quote_ident(o.option_name) || ' ' || quote_literal(o.option_value),
                                                          E',\n    ' ORDER BY o.option_name)
                                        FROM pg_catalog.pg_options_to_table(um.umoptions) o
                                        WHERE o.option_name <> 'password')
                                    || E'\n)', '')
                        || E';\n', '' ORDER BY um.usename)
                    FROM pg_catalog.pg_user_mappings um WHERE um.srvid = s.oid), '') AS ddl
FROM pg_catalog.pg_foreign_server s
JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
ORDER BY s.srvname
