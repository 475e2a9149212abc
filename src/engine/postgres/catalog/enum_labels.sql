SELECT e.enumtypid::int8 AS type_oid, e.enumlabel AS label
FROM pg_catalog.pg_enum e
WHERE e.enumtypid >= 16384
ORDER BY e.enumtypid, e.enumsortorder
