//! Casts (CREATE CAST).

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn casts(&mut self) -> Result<()> {
        self.statements(
            "casts",
            include_str!("casts.sql"),
            PG_CAST,
            Section::PreData,
            group::CAST,
        )
        .await
    }
}
