-- The subscriptions of this database, by name only: every role may read these
-- columns of pg_subscription (the connection string is for superusers).
SELECT quote_ident(s.subname) AS qname
FROM pg_catalog.pg_subscription s
WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
ORDER BY s.subname
