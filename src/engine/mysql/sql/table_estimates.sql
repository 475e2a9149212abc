-- The server's estimates of each table's rows and bytes, for the progress bar
-- (InnoDB's TABLE_ROWS is a sample, off by up to half either way).
SELECT TABLE_NAME AS name, TABLE_ROWS AS est_rows, DATA_LENGTH AS est_bytes
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE <> 'VIEW'
