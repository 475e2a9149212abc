//! The TRUNCATE that `import --truncate` runs: exactly the tables the file
//! loads, each with ONLY (an inheritance child the file does not load keeps
//! its rows), except partitioned tables whose partitions the file loads in
//! full, which are named whole: PostgreSQL refuses ONLY on them, and a
//! foreign key declared on one makes TRUNCATE of the table it references
//! require it in the same statement.

use tokio_postgres::Client;

use crate::script::statement::{Dialect, TableName};

/// `TRUNCATE ONLY a, ONLY b, parent` for `tables` (names parsed from the
/// file, and the catalog's names of their parents; all quoted here).
pub async fn statement(
    client: &Client,
    tables: &[TableName],
) -> Result<String, tokio_postgres::Error> {
    let quoted: Vec<String> = tables.iter().map(|t| t.quoted(Dialect::Postgres)).collect();
    let mut named_whole = vec![false; tables.len()];
    let mut items = Vec::new();
    let mut whole = Vec::new();
    for row in client
        .query(include_str!("sql/truncate_whole.sql"), &[&quoted])
        .await?
    {
        let parent = TableName {
            schema: Some(row.get(0)),
            name: row.get(1),
        };
        for position in row.get::<_, Vec<i64>>(2) {
            named_whole[position as usize - 1] = true;
        }
        whole.push(parent.quoted(Dialect::Postgres));
    }
    for (table, is_whole) in quoted.into_iter().zip(named_whole) {
        if !is_whole {
            items.push(format!("ONLY {table}"));
        }
    }
    items.extend(whole);
    Ok(format!("TRUNCATE {}", items.join(", ")))
}
