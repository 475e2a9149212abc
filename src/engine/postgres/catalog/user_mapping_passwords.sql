-- User mappings that hold a password option, which the snapshot leaves out.
SELECT format('user mapping for %s on server %s', quote_ident(um.usename), quote_ident(s.srvname)) AS label
FROM pg_catalog.pg_user_mappings um
JOIN pg_catalog.pg_foreign_server s ON s.oid = um.srvid
WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_options_to_table(um.umoptions) o
              WHERE o.option_name = 'password')
ORDER BY 1
