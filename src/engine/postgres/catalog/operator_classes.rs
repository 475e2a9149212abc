//! Operator families and operator classes, with their operators and support
//! functions.

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn operator_classes(&mut self) -> Result<()> {
        for r in self
            .rows(
                "operator families and classes",
                include_str!("operator_classes.sql"),
            )
            .await?
        {
            let (class, o) = (oid(&r, "class"), oid(&r, "oid"));
            if self.is_member(class, o) {
                continue;
            }
            let group = if class == PG_OPCLASS {
                group::OPERATOR_CLASS
            } else {
                group::OPERATOR_FAMILY
            };
            self.push_statement((class, o), &r, Section::PreData, group);
        }
        // A member's dependencies (its operator, its function) are its
        // class's or family's.
        for r in self
            .rows(
                "operator class members",
                include_str!("operator_members.sql"),
            )
            .await?
        {
            let owner = Key::of(oid(&r, "ref_class"), oid(&r, "ref_oid"));
            let member = (oid(&r, "class"), oid(&r, "oid"));
            // A member of a class also depends on its family; the class wins.
            if owner.class == PG_OPCLASS || !self.owner_of.contains_key(&member) {
                self.owner_of.insert(member, owner);
            }
        }
        Ok(())
    }
}
