-- Subscriptions of this database. Only the name: the connection string
-- (subconninfo) is readable by superusers only and may hold a password.
SELECT quote_ident(s.subname) AS name
FROM pg_catalog.pg_subscription s
WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
ORDER BY s.subname
