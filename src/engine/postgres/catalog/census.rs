//! The completeness census: after the export is planned, every user object in
//! the catalogs must be accounted for, written or reported. An object that is
//! neither would vanish from the snapshot without a word; the export fails
//! instead.

use std::collections::HashSet;

use anyhow::{bail, Result};

use super::*;

impl CatalogReader<'_> {
    /// Fails, naming them, if user objects are neither written (on their own
    /// or as part of another object) nor reported as unsupported or as
    /// needing an unsupported object.
    pub(super) async fn census(&self) -> Result<()> {
        let written: HashSet<Key> = self.objects.iter().map(|o| o.key).collect();
        let accounted = |class: u32, oid: u32| {
            let key = Key::of(class, oid);
            let owner = self.owner_of.get(&(class, oid)).copied().unwrap_or(key);
            written.contains(&key)
                || written.contains(&owner)
                || self.unsupported_keys.contains(&key)
                || self.skipped_keys.contains(&key)
                || self.skipped_keys.contains(&owner)
                || self.implied.contains(&(class, oid))
        };
        let rows = self.rows("the census", include_str!("census.sql")).await?;
        let mut missing = Vec::new();
        for r in &rows {
            let (class, o) = (oid(r, "class"), oid(r, "oid"));
            let part = (oid(r, "part_class"), oid(r, "part_oid"));
            let on = (oid(r, "on_class"), oid(r, "on_oid"));
            let on_key = Key::of(on.0, on.1);
            let counted = accounted(class, o)
                || (part.0 != 0 && accounted(part.0, part.1))
                || (on.0 != 0
                    && (self.unsupported_keys.contains(&on_key)
                        || self.skipped_keys.contains(&on_key)
                        || self.is_member(on.0, on.1)));
            if !counted {
                missing.push(s(r, "object"));
            }
        }
        if !missing.is_empty() {
            bail!(
                "the export would leave out {} object(s) without reporting them \
                 (a dbsnap bug; please report it):\n  {}",
                missing.len(),
                missing.join("\n  ")
            );
        }
        Ok(())
    }
}
