-- Subscriptions of this database, worded as pg_dump words them: with
-- connect = false, so that loading the file neither connects nor makes a slot,
-- and the subscription starts disabled. The connection string is readable by
-- superusers only and may hold a password; it is written only when asked for.
SELECT s.oid::int8 AS oid, '' AS schema, s.subname AS name, quote_ident(s.subname) AS qname,
       'SUBSCRIPTION ' || quote_ident(s.subname) AS target,
       format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %s WITH (connect = false, slot_name = %s',
              s.subname,
              -- The password goes, as for user mappings: never in a snapshot.
              regexp_replace(s.subconninfo, '\s*password\s*=\s*(''([^''\\]|\\.)*''|\S+)', '', 'g'),
              array_to_string(ARRAY(SELECT quote_ident(p) FROM unnest(s.subpublications) AS p), ', '),
              coalesce(quote_literal(s.subslotname), 'NONE'))
       || CASE WHEN s.subbinary THEN ', binary = true' ELSE '' END
       || CASE WHEN s.substream THEN ', streaming = on' ELSE '' END
       || CASE WHEN s.subtwophasestate <> 'd' THEN ', two_phase = on' ELSE '' END
       || CASE WHEN s.subdisableonerr THEN ', disable_on_error = true' ELSE '' END
       || CASE WHEN s.subsynccommit <> 'off' THEN ', synchronous_commit = ' || quote_ident(s.subsynccommit) ELSE '' END
       || E');\n' AS ddl
FROM pg_catalog.pg_subscription s
WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
ORDER BY s.subname
