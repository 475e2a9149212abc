-- Of the tables a data file loads ($1, quoted names), those to empty together
-- with their partitions: partitioned tables the file loads through their root,
-- and partitioned tables every leaf of which the file loads. A foreign key
-- declared on a partitioned table makes TRUNCATE of the table it references
-- require the partitioned table itself, not only its partitions.
-- Each with the positions in $1 (1-based) that name it.
WITH listed AS (
    SELECT u.n::regclass AS rel, u.i FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i)
), whole AS (
    SELECT l.rel FROM listed l JOIN pg_class c ON c.oid = l.rel WHERE c.relkind = 'p'
    UNION
    SELECT a.relid
    FROM listed l, pg_partition_ancestors(l.rel) AS a
    WHERE a.relid <> l.rel
      AND NOT EXISTS (SELECT 1 FROM pg_partition_tree(a.relid) t
                      WHERE t.isleaf AND t.relid NOT IN (SELECT rel FROM listed))
)
SELECT n.nspname::text, c.relname::text,
       ARRAY(SELECT l.i FROM listed l WHERE l.rel = w.rel) AS positions
FROM whole w JOIN pg_class c ON c.oid = w.rel JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY 1, 2
