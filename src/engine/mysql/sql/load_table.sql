-- Whether rows of one table may go through LOAD DATA: its engine can roll a
-- statement back (InnoDB), and no trigger writes elsewhere while it loads;
-- and whether it has an AUTO_INCREMENT column (see loader.rs, Target).
SELECT t.TABLE_NAME AS table_name,
       COALESCE(e.TRANSACTIONS = 'YES', 0) AS transactional,
       (SELECT COUNT(*) FROM information_schema.TRIGGERS tr
        WHERE tr.EVENT_OBJECT_SCHEMA = t.TABLE_SCHEMA AND tr.EVENT_OBJECT_TABLE = t.TABLE_NAME) AS triggers,
       EXISTS (SELECT 1 FROM information_schema.COLUMNS c
               WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
                 AND c.EXTRA LIKE '%auto_increment%') AS auto_increment
FROM information_schema.TABLES t
LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = ?
