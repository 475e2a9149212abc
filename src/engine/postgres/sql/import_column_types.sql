-- The type of each column $2 names of the table of oid $1, in the order
-- given; NULL for a column the table does not have.
SELECT c.name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
FROM unnest($2::text[]) WITH ORDINALITY AS c(name, i)
LEFT JOIN pg_catalog.pg_attribute a
  ON a.attrelid = $1::oid AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.i
