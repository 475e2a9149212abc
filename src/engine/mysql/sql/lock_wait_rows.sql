-- The InnoDB row locks connection ? waits for, the connections holding them,
-- and how long it has waited (microseconds).
SELECT l.lock_table, b.trx_mysql_thread_id, p.USER,
       TIMESTAMPDIFF(SECOND, b.trx_started, NOW()),
       TIMESTAMPDIFF(MICROSECOND, r.trx_wait_started, NOW(6))
FROM information_schema.INNODB_TRX r
JOIN information_schema.INNODB_LOCK_WAITS w ON w.requesting_trx_id = r.trx_id
JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
LEFT JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id
LEFT JOIN information_schema.PROCESSLIST p ON p.ID = b.trx_mysql_thread_id
WHERE r.trx_mysql_thread_id = ?
ORDER BY b.trx_mysql_thread_id
