-- Foreign-data wrappers, options sorted by name as pg_dump sorts them.
SELECT w.oid::int8 AS oid, '' AS schema, w.fdwname AS name,
       'FOREIGN DATA WRAPPER ' || quote_ident(w.fdwname) AS target,
       'CREATE FOREIGN DATA WRAPPER ' || quote_ident(w.fdwname)
       || CASE WHEN w.fdwhandler <> 0 THEN ' HANDLER ' || w.fdwhandler::pg_catalog.regproc::text ELSE '' END
       || CASE WHEN w.fdwvalidator <> 0 THEN ' VALIDATOR ' || w.fdwvalidator::pg_catalog.regproc::text ELSE '' END
       || coalesce(E' OPTIONS (\n    '
                   || (SELECT string_agg(quote_ident(o.option_name) || ' ' || quote_literal(o.option_value),
                                         E',\n    ' ORDER BY o.option_name)
                       FROM pg_catalog.pg_options_to_table(w.fdwoptions) o)
                   || E'\n)', '')
       || E';\n' AS ddl
FROM pg_catalog.pg_foreign_data_wrapper w
ORDER BY w.fdwname
