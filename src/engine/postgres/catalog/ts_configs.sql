-- Text search configurations with their token mappings, one ALTER per token
-- type in token order, dictionaries in mapping order.
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.cfgname AS name,
       format('TEXT SEARCH CONFIGURATION %I.%I', n.nspname, c.cfgname) AS target,
       format(E'CREATE TEXT SEARCH CONFIGURATION %I.%I (\n    PARSER = %I.%I );\n',
              n.nspname, c.cfgname, pn.nspname, p.prsname)
       || coalesce((SELECT string_agg(format(E'\nALTER TEXT SEARCH CONFIGURATION %I.%I\n    ADD MAPPING FOR %I WITH %s;\n',
                                             n.nspname, c.cfgname, m.token, m.dicts), '' ORDER BY m.tokid)
                    FROM (SELECT t.tokid, t.alias AS token,
                                 string_agg(cm.mapdict::pg_catalog.regdictionary::text, ', ' ORDER BY cm.mapseqno) AS dicts
                          FROM pg_catalog.pg_ts_config_map cm
                          JOIN pg_catalog.ts_token_type(c.cfgparser) t ON t.tokid = cm.maptokentype
                          WHERE cm.mapcfg = c.oid
                          GROUP BY t.tokid, t.alias) m), '') AS ddl
FROM pg_catalog.pg_ts_config c
JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
WHERE c.oid >= 16384
ORDER BY n.nspname, c.cfgname
