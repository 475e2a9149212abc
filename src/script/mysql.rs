//! Reader for mysql-client-style scripts (what `mysqldump` / `mariadb-dump` write).
//!
//! Lexing follows the mysql command-line client: `'...'` and `"..."` strings with backslash
//! escapes and doubled quotes, `` `...` `` identifiers, `#` and `-- ` comments, plain `/* */`
//! comments (not nested), executable `/*! ... */` (and MariaDB `/*M! ... */`) comments that
//! are kept as statement text, and the `DELIMITER` command.

use std::io::BufRead;

use super::reader::{Lexer, LineSource, ScriptReader, StatementText};
use super::{is_space, quote_end, Item};
use crate::error::DamagedFile;

/// Streaming reader for mysql client scripts; yields [`Item::Statement`] and
/// [`Item::Marker`] only.
pub type MysqlReader<R> = ScriptReader<R, MysqlLexer>;

#[derive(Debug, Default)]
enum State {
    /// Outside any quote or plain comment.
    #[default]
    Normal,
    /// Inside a quoted string / identifier opened by `quote` (`'`, `"` or `` ` ``).
    Quote { start: u64, quote: u8 },
    /// Inside a plain `/* */` comment.
    Comment { start: u64 },
}

/// The mysql client's lexing: what it is inside, and the current delimiter.
pub struct MysqlLexer {
    state: State,
    delimiter: Vec<u8>,
    /// Start line of the executable comment (`/*! ... */`) we are inside, if any.
    cond: Option<u64>,
}

impl Default for MysqlLexer {
    fn default() -> Self {
        MysqlLexer {
            state: State::Normal,
            delimiter: b";".to_vec(),
            cond: None,
        }
    }
}

impl Lexer for MysqlLexer {
    fn at_rest(&self) -> bool {
        matches!(self.state, State::Normal)
    }

    fn open_at_end(&mut self) -> Option<(u64, &'static str)> {
        let cond = self.cond.take();
        match std::mem::take(&mut self.state) {
            State::Quote { start, quote: b'`' } => Some((start, "quoted identifier")),
            State::Quote { start, .. } => Some((start, "quoted string")),
            State::Comment { start } => Some((start, "/* comment")),
            State::Normal => cond.map(|start| (start, "/*! comment")),
        }
    }

    /// Scans the rest of the current line. Returns a statement when one is complete (leaving
    /// `pos` just after its delimiter), or `None` once the line is consumed.
    fn scan<R: BufRead>(
        &mut self,
        buf: &[u8],
        src: &mut LineSource<R>,
        text: &mut StatementText,
    ) -> Result<Option<Item>, DamagedFile> {
        let n = buf.len();
        let line = src.line;
        let mut i = src.pos;
        while i < n {
            match self.state {
                State::Normal => {
                    let c = buf[i];
                    let next = buf.get(i + 1).copied();
                    let rest = &buf[i..];
                    if !text.is_open() {
                        if is_space(c) {
                            i += 1;
                            continue;
                        }
                        if rest.starts_with(&self.delimiter) {
                            // Empty statement.
                            i += self.delimiter.len();
                            continue;
                        }
                        if rest.len() >= 9
                            && rest[..9].eq_ignore_ascii_case(b"delimiter")
                            && rest.get(9).is_none_or(|&c| is_space(c))
                        {
                            self.set_delimiter(&rest[9..], src)?;
                            return Ok(None);
                        }
                        if c == b'#' || is_dash_comment(rest) {
                            i = n;
                            continue;
                        }
                        if c == b'/'
                            && next == Some(b'*')
                            && (!is_executable_comment(rest) || rest.starts_with(b"/*M!999999\\-"))
                        {
                            // Plain comment between statements (or MariaDB's sandbox-mode
                            // line, a client command the server must not see): dropped.
                            self.state = State::Comment { start: line };
                            i += 2;
                            continue;
                        }
                        text.begin(line, i);
                        self.cond = None;
                    }
                    if self.cond.is_none() && rest.starts_with(&self.delimiter) {
                        src.pos = i + self.delimiter.len();
                        let (sql, line) = text.end(buf, i, &src.path)?;
                        return Ok(Some(Item::Statement { sql, line }));
                    }
                    match c {
                        b'*' if next == Some(b'/') && self.cond.is_some() => {
                            self.cond = None;
                            i += 2;
                        }
                        b'\'' | b'"' | b'`' => {
                            self.state = State::Quote {
                                start: line,
                                quote: c,
                            };
                            i += 1;
                        }
                        b'#' => i = n,
                        b'-' if is_dash_comment(rest) => i = n,
                        b'/' if next == Some(b'*') => {
                            if self.cond.is_none() && is_executable_comment(rest) {
                                self.cond = Some(line);
                                i += 3;
                            } else {
                                self.state = State::Comment { start: line };
                                i += 2;
                            }
                        }
                        _ => i += 1,
                    }
                }
                State::Quote { quote, .. } => match quote_end(&buf[i..], quote, quote != b'`') {
                    None => i = n,
                    Some(p) => {
                        i += p;
                        self.state = State::Normal;
                    }
                },
                State::Comment { .. } => match super::find(&buf[i..], b"*/") {
                    None => i = n,
                    Some(p) => {
                        i += p + 2;
                        self.state = State::Normal;
                    }
                },
            }
        }
        Ok(None)
    }
}

impl MysqlLexer {
    /// Handles `DELIMITER <arg>`; `rest` is the line after the word `DELIMITER`.
    fn set_delimiter<R>(&mut self, rest: &[u8], src: &LineSource<R>) -> Result<(), DamagedFile> {
        let line = src.line;
        let start = rest
            .iter()
            .position(|&c| !is_space(c))
            .unwrap_or(rest.len());
        let rest = &rest[start..];
        let delim = match rest.first() {
            None => return Err(src.error(line, "DELIMITER must be followed by a delimiter string")),
            Some(&q @ (b'\'' | b'"' | b'`')) => match rest[1..].iter().position(|&c| c == q) {
                Some(end) => &rest[1..1 + end],
                None => return Err(src.error(line, "unterminated quoted DELIMITER string")),
            },
            Some(_) => {
                let end = rest.iter().position(|&c| is_space(c)).unwrap_or(rest.len());
                &rest[..end]
            }
        };
        if delim.is_empty() {
            return Err(src.error(line, "DELIMITER must be followed by a delimiter string"));
        }
        if delim.contains(&b'\\') {
            return Err(src.error(line, "DELIMITER cannot contain a backslash character"));
        }
        self.delimiter = delim.to_vec();
        Ok(())
    }
}

/// `--` followed by whitespace, a control character or the end of the line.
fn is_dash_comment(s: &[u8]) -> bool {
    s.starts_with(b"--") && s.get(2).is_none_or(|&c| c <= b' ')
}

/// `/*!` (MySQL) or `/*M!` (MariaDB) executable comment.
fn is_executable_comment(s: &[u8]) -> bool {
    s.starts_with(b"/*!") || s.starts_with(b"/*M!")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::testing::{self, stmt};
    use std::io::Cursor;

    fn read_all(input: &[u8]) -> Result<Vec<Item>, DamagedFile> {
        let reader = MysqlReader::new(Cursor::new(input.to_vec()), "dump.sql");
        testing::read_all(reader, |_, item| Ok(item))
    }

    fn items(input: &str) -> Vec<Item> {
        read_all(input.as_bytes()).unwrap()
    }

    fn err(input: &str) -> DamagedFile {
        read_all(input.as_bytes()).unwrap_err()
    }

    #[test]
    fn simple_and_multiline() {
        assert_eq!(
            items(
                "SELECT 1;\n\nCREATE TABLE `t` (\n  `a` int\n) ENGINE=InnoDB;\nSELECT 2; SELECT 3;"
            ),
            vec![
                stmt("SELECT 1", 1),
                stmt("CREATE TABLE `t` (\n  `a` int\n) ENGINE=InnoDB", 3),
                stmt("SELECT 2", 6),
                stmt("SELECT 3", 6),
            ]
        );
        assert_eq!(items(""), vec![]);
        assert_eq!(items(";\n ; \n"), vec![]);
    }

    #[test]
    fn comments() {
        let src = "# hash comment; \n-- dash comment;\n--\n/* block ; */ SELECT 1 # trailing ;\n, 2 -- also ;\n;\nSELECT 1--1;\nSELECT 3 --\t x\n;\nSELECT 4 /* ; */;\n";
        assert_eq!(
            items(src),
            vec![
                stmt("SELECT 1 # trailing ;\n, 2 -- also ;", 4),
                stmt("SELECT 1--1", 7),
                stmt("SELECT 3 --\t x", 8),
                stmt("SELECT 4 /* ; */", 10),
            ]
        );
        // Plain comments do not nest.
        assert_eq!(items("/* a /* b */ SELECT 1;"), vec![stmt("SELECT 1", 1)]);
    }

    #[test]
    fn strings_and_escapes() {
        let src = "INSERT INTO t VALUES ('it\\'s; here','a''b;','c\\\\',\"d\\\";\",\"e\"\"f;\", 'x -- y # z');\nSELECT `we;ird``name`, `back\\`;\nSELECT 2;\n";
        assert_eq!(
            items(src),
            vec![
                stmt("INSERT INTO t VALUES ('it\\'s; here','a''b;','c\\\\',\"d\\\";\",\"e\"\"f;\", 'x -- y # z')", 1),
                stmt("SELECT `we;ird``name`, `back\\`", 2),
                stmt("SELECT 2", 3),
            ]
        );
    }

    #[test]
    fn conditional_comments() {
        let src = "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!50503 SET NAMES utf8mb4 */;\n/*!40103 SET TIME_ZONE='+00:00' */;\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `db` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n/*!40000 ALTER TABLE `t` DISABLE KEYS */ ;\n/*!50001 SET a = 1; */;\n";
        assert_eq!(
            items(src),
            vec![
                stmt("/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */", 1),
                stmt("/*!50503 SET NAMES utf8mb4 */", 2),
                stmt("/*!40103 SET TIME_ZONE='+00:00' */", 3),
                stmt("CREATE DATABASE /*!32312 IF NOT EXISTS*/ `db` /*!40100 DEFAULT CHARACTER SET utf8mb4 */", 4),
                stmt("/*!40000 ALTER TABLE `t` DISABLE KEYS */", 5),
                stmt("/*!50001 SET a = 1; */", 6),
            ]
        );
        // A string containing `*/` does not close the executable comment.
        assert_eq!(
            items("/*!50003 SELECT '*/;' */;\nSELECT 2;"),
            vec![stmt("/*!50003 SELECT '*/;' */", 1), stmt("SELECT 2", 2)]
        );
        let e = err("SELECT 1;\n/*!40101 SET x=1;\n");
        assert_eq!(e.line, 2);
        assert!(
            e.message
                .starts_with("unterminated /*! comment started at line 2"),
            "{e}"
        );
    }

    #[test]
    fn mariadb_sandbox_line_is_dropped() {
        let src = "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;\n";
        assert_eq!(
            items(src),
            vec![stmt(
                "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */",
                3
            )]
        );
    }

    #[test]
    fn delimiter_trigger() {
        let trigger = "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `t` FOR EACH ROW BEGIN\n  SET NEW.a = 1;\n  IF NEW.b = ';' THEN SET NEW.b = 'x'; END IF;\nEND */";
        let src = format!(
            "/*!50003 SET @saved_cs_client      = @@character_set_client */ ;\nDELIMITER ;;\n{trigger};;\nDELIMITER ;\n/*!50003 SET character_set_client  = @saved_cs_client */ ;\nSELECT 1;\n"
        );
        assert_eq!(
            items(&src),
            vec![
                stmt(
                    "/*!50003 SET @saved_cs_client      = @@character_set_client */",
                    1
                ),
                stmt(trigger, 3),
                stmt(
                    "/*!50003 SET character_set_client  = @saved_cs_client */",
                    8
                ),
                stmt("SELECT 1", 9),
            ]
        );
    }

    #[test]
    fn delimiter_procedure() {
        let proc = "CREATE DEFINER=`root`@`%` PROCEDURE `p`(IN x INT)\nBEGIN\n  -- a comment; with semicolons $$\n  # another; one\n  /* block; $$ */\n  SELECT 'a;$$b', \"c;\";\n  SELECT x;\nEND";
        let src = format!("delimiter $$\n{proc}$$\n\nDELIMITER //\nSELECT 1//  SELECT 2 //\ndelimiter\t;  \nSELECT 3;\n");
        assert_eq!(
            items(&src),
            vec![
                stmt(proc, 2),
                stmt("SELECT 1", 12),
                stmt("SELECT 2", 12),
                stmt("SELECT 3", 14)
            ]
        );
    }

    #[test]
    fn delimiter_errors_and_lookalikes() {
        let e = err("SELECT 1;\nDELIMITER\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("DELIMITER"));
        // Only at statement start; a DELIMITER word inside a statement is ordinary.
        assert_eq!(
            items("SELECT\nDELIMITER ;\nSELECT delimiters FROM t;\n"),
            vec![
                stmt("SELECT\nDELIMITER", 1),
                stmt("SELECT delimiters FROM t", 3)
            ]
        );
        assert_eq!(
            items("DELIMITER ';;'\nSELECT 1;;\n"),
            vec![stmt("SELECT 1", 2)]
        );
    }

    /// What only mysql leaves open; the ends both dialects share are in `reader`.
    #[test]
    fn unterminated() {
        let e = err("SELECT 0;\n\nINSERT INTO t VALUES ('a\\'\n;\n");
        assert!(e
            .message
            .starts_with("unterminated quoted string started at line 3"));
        let e = err("SELECT `abc;\n");
        assert!(e
            .message
            .starts_with("unterminated quoted identifier started at line 1"));
        let e = err("DELIMITER ;;\nSELECT 1;\n");
        assert_eq!(e.line, 2);
        assert_eq!(
            items("SELECT 1;\n# done\n-- end\n"),
            vec![stmt("SELECT 1", 1)]
        );
    }

    #[test]
    fn mysqldump_like_file() {
        let src = "-- MySQL dump 10.13\n--\n-- Host: localhost    Database: db\n-- ------------------------------------------------------\n/*!40101 SET NAMES utf8mb4 */;\n\n--\n-- Table structure for table `t`\n--\n\nDROP TABLE IF EXISTS `t`;\n/*!40101 SET @saved_cs_client     = @@character_set_client */;\nCREATE TABLE `t` (\n  `id` int NOT NULL,\n  `s` varchar(10) DEFAULT NULL COMMENT 'x;y',\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n\nLOCK TABLES `t` WRITE;\nINSERT INTO `t` VALUES (1,'a\\'b;c'),(2,'\\\\'),(3,NULL);\nUNLOCK TABLES;\n-- Dump completed on 2024-01-01\n";
        let got = items(src);
        assert_eq!(
            got,
            vec![
                stmt("/*!40101 SET NAMES utf8mb4 */", 5),
                stmt("DROP TABLE IF EXISTS `t`", 11),
                stmt("/*!40101 SET @saved_cs_client     = @@character_set_client */", 12),
                stmt("CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `s` varchar(10) DEFAULT NULL COMMENT 'x;y',\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB", 13),
                stmt("LOCK TABLES `t` WRITE", 19),
                stmt("INSERT INTO `t` VALUES (1,'a\\'b;c'),(2,'\\\\'),(3,NULL)", 20),
                stmt("UNLOCK TABLES", 21),
            ]
        );
    }
}
