-- Whether this account may read the whole database (SELECT on *.* or on the
-- database, `whole`) or only some of its tables or columns (`part`). The
-- server lists only what a user may see, so with `part` alone a snapshot
-- would leave out tables and columns without a word. Privileges held
-- through a role are not listed here: such an account counts as neither.
SELECT
  (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
    WHERE GRANTEE = me.grantee AND PRIVILEGE_TYPE = 'SELECT')
  + (SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES
    WHERE GRANTEE = me.grantee AND PRIVILEGE_TYPE = 'SELECT'
      AND DATABASE() LIKE TABLE_SCHEMA) AS whole,
  (SELECT COUNT(*) FROM information_schema.TABLE_PRIVILEGES
    WHERE GRANTEE = me.grantee AND PRIVILEGE_TYPE = 'SELECT'
      AND TABLE_SCHEMA = DATABASE())
  + (SELECT COUNT(*) FROM information_schema.COLUMN_PRIVILEGES
    WHERE GRANTEE = me.grantee AND PRIVILEGE_TYPE = 'SELECT'
      AND TABLE_SCHEMA = DATABASE()) AS part,
  me.grantee
FROM (SELECT CONCAT('''', SUBSTRING(CURRENT_USER(), 1,
                      CHAR_LENGTH(CURRENT_USER()) - CHAR_LENGTH(SUBSTRING_INDEX(CURRENT_USER(), '@', -1)) - 1),
                    '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''') AS grantee) AS me
