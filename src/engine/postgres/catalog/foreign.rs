//! Foreign-data wrappers and foreign servers with their user mappings.
//! Foreign tables are relations (tables.rs).

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn foreign_data(&mut self) -> Result<()> {
        self.statements(
            "foreign-data wrappers",
            include_str!("foreign_wrappers.sql"),
            PG_FOREIGN_DATA_WRAPPER,
            Section::PreData,
            group::FOREIGN_DATA,
        )
        .await?;
        self.statements(
            "foreign servers",
            include_str!("foreign_servers.sql"),
            PG_FOREIGN_SERVER,
            Section::PreData,
            group::FOREIGN_DATA,
        )
        .await
    }

    /// The user mappings whose password the snapshot leaves out, to say so.
    pub(super) async fn user_mapping_passwords(&mut self) -> Result<Vec<String>> {
        Ok(self
            .rows(
                "user mapping passwords",
                include_str!("user_mapping_passwords.sql"),
            )
            .await?
            .iter()
            .map(|r| s(r, "label"))
            .collect())
    }
}
