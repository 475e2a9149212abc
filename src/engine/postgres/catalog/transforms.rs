//! Transforms (CREATE TRANSFORM).

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn transforms(&mut self) -> Result<()> {
        self.statements(
            "transforms",
            include_str!("transforms.sql"),
            PG_TRANSFORM,
            Section::PreData,
            group::TRANSFORM,
        )
        .await
    }
}
