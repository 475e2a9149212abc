-- Base types, worded as pg_dump words them, and shell types never defined.
-- I/O functions are named as regproc names them (qualified unless in pg_catalog).
SELECT t.oid::int8 AS oid, n.nspname AS schema, t.typname AS name,
       format('%I.%I', n.nspname, t.typname) AS qname, t.typisdefined AS defined,
       format(E'CREATE TYPE %I.%I (\n    INTERNALLENGTH = %s,\n    INPUT = %s,\n    OUTPUT = %s',
              n.nspname, t.typname, CASE WHEN t.typlen = -1 THEN 'variable' ELSE t.typlen::text END,
              t.typinput::pg_catalog.regproc, t.typoutput::pg_catalog.regproc)
       || CASE WHEN t.typreceive <> 0 THEN E',\n    RECEIVE = ' || t.typreceive::pg_catalog.regproc::text ELSE '' END
       || CASE WHEN t.typsend <> 0 THEN E',\n    SEND = ' || t.typsend::pg_catalog.regproc::text ELSE '' END
       || CASE WHEN t.typmodin <> 0 THEN E',\n    TYPMOD_IN = ' || t.typmodin::pg_catalog.regproc::text ELSE '' END
       || CASE WHEN t.typmodout <> 0 THEN E',\n    TYPMOD_OUT = ' || t.typmodout::pg_catalog.regproc::text ELSE '' END
       || CASE WHEN t.typanalyze <> 0 THEN E',\n    ANALYZE = ' || t.typanalyze::pg_catalog.regproc::text ELSE '' END
       || CASE WHEN t.typcollation <> 0 THEN E',\n    COLLATABLE = true' ELSE '' END
       || CASE WHEN t.typdefaultbin IS NOT NULL THEN E',\n    DEFAULT = ' || pg_get_expr(t.typdefaultbin, 0)
               WHEN t.typdefault IS NOT NULL THEN E',\n    DEFAULT = ' || quote_literal(t.typdefault)
               ELSE '' END
       || CASE WHEN t.typsubscript <> 0 THEN E',\n    SUBSCRIPT = ' || t.typsubscript::pg_catalog.regproc::text ELSE '' END
       || CASE WHEN t.typelem <> 0 THEN E',\n    ELEMENT = ' || format_type(t.typelem, NULL) ELSE '' END
       || CASE WHEN t.typcategory <> 'U' THEN E',\n    CATEGORY = ' || quote_literal(t.typcategory::text) ELSE '' END
       || CASE WHEN t.typispreferred THEN E',\n    PREFERRED = true' ELSE '' END
       || CASE WHEN t.typdelim <> ',' THEN E',\n    DELIMITER = ' || quote_literal(t.typdelim::text) ELSE '' END
       || CASE t.typalign WHEN 'c' THEN E',\n    ALIGNMENT = char' WHEN 's' THEN E',\n    ALIGNMENT = int2'
                          WHEN 'i' THEN E',\n    ALIGNMENT = int4' ELSE E',\n    ALIGNMENT = double' END
       || CASE t.typstorage WHEN 'p' THEN E',\n    STORAGE = plain' WHEN 'e' THEN E',\n    STORAGE = external'
                            WHEN 'x' THEN E',\n    STORAGE = extended' ELSE E',\n    STORAGE = main' END
       || CASE WHEN t.typbyval THEN E',\n    PASSEDBYVALUE' ELSE '' END
       || E'\n);\n' AS ddl
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND (t.typtype = 'b' OR (t.typtype = 'p' AND NOT t.typisdefined))
  -- Array types come with their element type; a base type may have an element too.
  AND NOT (t.typelem <> 0 AND t.typlen = -1
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid))
ORDER BY n.nspname, t.typname
