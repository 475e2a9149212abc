//! Operators (CREATE OPERATOR).

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn operators(&mut self) -> Result<()> {
        self.statements(
            "operators",
            include_str!("operators.sql"),
            PG_OPERATOR,
            Section::PreData,
            group::OPERATOR,
        )
        .await
    }
}
