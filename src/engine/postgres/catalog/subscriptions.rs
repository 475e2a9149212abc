//! Subscriptions: left out unless asked for (`--with-subscriptions`), since
//! they name another server; then written with `connect = false`, as pg_dump does.

use anyhow::Result;

use super::*;

const PG_SUBSCRIPTION: u32 = 6100;

impl CatalogReader<'_> {
    /// Writes the subscriptions if `write`, else returns their labels to report.
    pub(super) async fn subscriptions(&mut self, write: bool) -> Result<Vec<String>> {
        let sql = include_str!("subscriptions.sql");
        if write {
            self.statements(
                "subscriptions",
                sql,
                PG_SUBSCRIPTION,
                Section::PostData,
                group::SUBSCRIPTION,
            )
            .await?;
            return Ok(Vec::new());
        }
        Ok(self
            .rows("subscriptions", include_str!("subscriptions_list.sql"))
            .await?
            .iter()
            .map(|r| format!("subscription {}", s(r, "qname")))
            .collect())
    }
}
