-- One row per foreign key: which table references which, and whether every
-- row may leave it unset (some column nullable: MATCH SIMPLE then skips it).
SELECT rc.TABLE_NAME AS referencing, rc.REFERENCED_TABLE_NAME AS referenced,
       MAX(c.IS_NULLABLE = 'YES') AS nullable
FROM information_schema.REFERENTIAL_CONSTRAINTS rc
JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = rc.TABLE_NAME
 AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME
JOIN information_schema.COLUMNS c
  ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME
 AND c.COLUMN_NAME = k.COLUMN_NAME
WHERE rc.CONSTRAINT_SCHEMA = DATABASE() AND rc.UNIQUE_CONSTRAINT_SCHEMA = DATABASE()
GROUP BY rc.CONSTRAINT_NAME, rc.TABLE_NAME, rc.REFERENCED_TABLE_NAME
