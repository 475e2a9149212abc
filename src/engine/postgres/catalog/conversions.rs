//! Encoding conversions (CREATE CONVERSION).

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn conversions(&mut self) -> Result<()> {
        self.statements(
            "conversions",
            include_str!("conversions.sql"),
            PG_CONVERSION,
            Section::PreData,
            group::CONVERSION,
        )
        .await
    }
}
