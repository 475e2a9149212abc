//! Procedural languages (CREATE PROCEDURAL LANGUAGE) that no extension made.

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn languages(&mut self) -> Result<()> {
        self.statements(
            "languages",
            include_str!("languages.sql"),
            PG_LANGUAGE,
            Section::PreData,
            group::LANGUAGE,
        )
        .await
    }
}
