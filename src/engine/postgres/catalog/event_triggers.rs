//! Event triggers: last in the file, so that no other statement of it fires one.

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn event_triggers(&mut self) -> Result<()> {
        self.statements(
            "event triggers",
            include_str!("event_triggers.sql"),
            PG_EVENT_TRIGGER,
            Section::PostData,
            group::EVENT_TRIGGER,
        )
        .await
    }
}
