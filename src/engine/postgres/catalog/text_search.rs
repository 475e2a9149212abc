//! Text search parsers, templates, dictionaries and configurations.

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn text_search(&mut self) -> Result<()> {
        for (what, sql, class) in [
            (
                "text search parsers",
                include_str!("ts_parsers.sql"),
                PG_TS_PARSER,
            ),
            (
                "text search templates",
                include_str!("ts_templates.sql"),
                PG_TS_TEMPLATE,
            ),
            (
                "text search dictionaries",
                include_str!("ts_dictionaries.sql"),
                PG_TS_DICT,
            ),
            (
                "text search configurations",
                include_str!("ts_configs.sql"),
                PG_TS_CONFIG,
            ),
        ] {
            self.statements(what, sql, class, Section::PreData, group::TEXT_SEARCH)
                .await?;
        }
        Ok(())
    }
}
