//! Comments (COMMENT ON) on every kind of object, read once and looked up by
//! the module that writes the object.

use std::collections::HashMap;

use anyhow::Result;
use tokio_postgres::Client;

use super::*;

pub(super) async fn read(client: &Client) -> Result<HashMap<(u32, u32, i32), String>> {
    Ok(query(client, "comments", include_str!("comments.sql"))
        .await?
        .iter()
        .map(|r| {
            (
                (oid(r, "class"), oid(r, "oid"), r.get::<_, i32>("sub")),
                s(r, "text"),
            )
        })
        .collect())
}

impl CatalogReader<'_> {
    /// `COMMENT ON target IS '...';` if the object has a comment.
    pub(super) fn comment(&self, class: u32, oid: u32, sub: i32, target: &str) -> String {
        match self.comments.get(&(class, oid, sub)) {
            Some(text) => format!("COMMENT ON {target} IS {};\n", literal(text)),
            None => String::new(),
        }
    }
}
