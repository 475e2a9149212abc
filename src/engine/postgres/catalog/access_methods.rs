//! Access methods (CREATE ACCESS METHOD), index and table.

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn access_methods(&mut self) -> Result<()> {
        self.statements(
            "access methods",
            include_str!("access_methods.sql"),
            PG_AM,
            Section::PreData,
            group::ACCESS_METHOD,
        )
        .await
    }
}
