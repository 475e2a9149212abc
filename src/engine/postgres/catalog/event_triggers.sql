-- Event triggers, with their tag filters and enabled state.
SELECT e.oid::int8 AS oid, '' AS schema, e.evtname AS name,
       'EVENT TRIGGER ' || quote_ident(e.evtname) AS target,
       format('CREATE EVENT TRIGGER %I ON %I', e.evtname, e.evtevent)
       || CASE WHEN cardinality(e.evttags) > 0
               THEN E'\n         WHEN TAG IN ('
                    || array_to_string(ARRAY(SELECT quote_literal(t) FROM unnest(e.evttags) AS t), ', ')
                    || ')'
               ELSE '' END
       || format(E'\n   EXECUTE FUNCTION %s();\n', e.evtfoid::pg_catalog.regproc)
       || CASE e.evtenabled
              WHEN 'D' THEN format(E'ALTER EVENT TRIGGER %I DISABLE;\n', e.evtname)
              WHEN 'A' THEN format(E'ALTER EVENT TRIGGER %I ENABLE ALWAYS;\n', e.evtname)
              WHEN 'R' THEN format(E'ALTER EVENT TRIGGER %I ENABLE REPLICA;\n', e.evtname)
              ELSE '' END AS ddl
FROM pg_catalog.pg_event_trigger e
ORDER BY e.evtname
