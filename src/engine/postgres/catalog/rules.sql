SELECT r.oid::int8 AS oid, r.ev_class::int8 AS relid, r.rulename AS name,
       quote_ident(r.rulename) AS qname, pg_get_ruledef(r.oid) AS def,
       r.ev_enabled::text AS enabled
FROM pg_catalog.pg_rewrite r
WHERE r.rulename <> '_RETURN' AND r.oid >= 16384
ORDER BY r.rulename, r.oid
