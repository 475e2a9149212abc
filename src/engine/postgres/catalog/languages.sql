-- User procedural languages (plpgsql and the like come with extensions).
SELECT l.oid::int8 AS oid, '' AS schema, l.lanname AS name,
       'LANGUAGE ' || quote_ident(l.lanname) AS target,
       format('CREATE %sPROCEDURAL LANGUAGE %I HANDLER %I.%I',
              CASE WHEN l.lanpltrusted THEN 'TRUSTED ' ELSE '' END, l.lanname, hn.nspname, h.proname)
       || CASE WHEN i.oid IS NOT NULL THEN format(' INLINE %I.%I', inn.nspname, i.proname) ELSE '' END
       || CASE WHEN v.oid IS NOT NULL THEN format(' VALIDATOR %I.%I', vn.nspname, v.proname) ELSE '' END
       || E';\n' AS ddl
FROM pg_catalog.pg_language l
JOIN pg_catalog.pg_proc h ON h.oid = l.lanplcallfoid
JOIN pg_catalog.pg_namespace hn ON hn.oid = h.pronamespace
LEFT JOIN pg_catalog.pg_proc i ON i.oid = l.laninline
LEFT JOIN pg_catalog.pg_namespace inn ON inn.oid = i.pronamespace
LEFT JOIN pg_catalog.pg_proc v ON v.oid = l.lanvalidator
LEFT JOIN pg_catalog.pg_namespace vn ON vn.oid = v.pronamespace
WHERE l.oid >= 16384
ORDER BY l.lanname
