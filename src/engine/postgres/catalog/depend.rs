//! Dependencies between collected objects, from pg_depend, and what must
//! be left out with an unsupported object.

use std::collections::{HashMap, HashSet};

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    /// Removes the objects that need an unsupported object, directly or not,
    /// and returns their labels: they could not be created without it.
    pub(super) fn dependents_of_unsupported(&mut self) -> Vec<String> {
        let mut skipped = std::mem::take(&mut self.needs_unsupported);
        loop {
            let before = skipped.len();
            for obj in &self.objects {
                let main = Key {
                    part: Part::Main,
                    ..obj.key
                };
                if obj.deps.iter().any(|d| skipped.contains(d))
                    || (obj.key != main && skipped.contains(&main))
                {
                    skipped.insert(obj.key);
                }
            }
            if skipped.len() == before {
                break;
            }
        }
        let (gone, kept): (Vec<Object>, Vec<Object>) = std::mem::take(&mut self.objects)
            .into_iter()
            .partition(|o| skipped.contains(&o.key));
        self.objects = kept;
        self.skipped_keys = skipped;
        let mut labels: Vec<String> = gone.into_iter().map(|o| o.label).collect();
        labels.sort();
        labels
    }

    /// Turns pg_depend rows into dependencies between the collected objects.
    pub(super) async fn dependencies(&mut self) -> Result<()> {
        for r in self
            .rows(
                "column defaults",
                "SELECT oid::int8 AS oid, adrelid::int8 AS relid FROM pg_catalog.pg_attrdef",
            )
            .await?
        {
            self.owner_of
                .entry((PG_ATTRDEF, oid(&r, "oid")))
                .or_insert(Key::of(PG_CLASS, oid(&r, "relid")));
        }
        for r in self.rows("view rules", "SELECT oid::int8 AS oid, ev_class::int8 AS relid FROM pg_catalog.pg_rewrite WHERE rulename = '_RETURN'").await? {
            self.owner_of.insert((PG_REWRITE, oid(&r, "oid")), Key::of(PG_CLASS, oid(&r, "relid")));
        }
        // Array types, row types and multiranges stand for the type or table they belong to.
        let types = "SELECT t.oid::int8 AS oid, t.typrelid::int8 AS relid, \
                     CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN t.typelem ELSE 0 END::int8 AS elem, \
                     coalesce((SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid), 0)::int8 AS range \
                     FROM pg_catalog.pg_type t WHERE t.oid >= 16384";
        let mut aliases = Vec::new();
        for r in self.rows("types", types).await? {
            let (o, relid, elem, range) = (
                oid(&r, "oid"),
                oid(&r, "relid"),
                oid(&r, "elem"),
                oid(&r, "range"),
            );
            if self.owner_of.contains_key(&(PG_TYPE, o)) {
                continue;
            }
            let target = if relid != 0 {
                (PG_CLASS, relid)
            } else if elem != 0 {
                (PG_TYPE, elem)
            } else if range != 0 {
                (PG_TYPE, range)
            } else {
                continue;
            };
            aliases.push(((PG_TYPE, o), target));
        }
        // Resolve after the loop: an array's element may itself be a row type.
        for _ in 0..2 {
            for (from, to) in &aliases {
                if let Some(&key) = self.owner_of.get(to) {
                    self.owner_of.insert(*from, key);
                } else if self.unsupported_keys.contains(&Key::of(to.0, to.1)) {
                    // An array of a skipped type needs it just the same.
                    self.owner_of.insert(*from, Key::of(to.0, to.1));
                }
            }
        }

        let keys: HashSet<Key> = self.objects.iter().map(|o| o.key).collect();
        let seq_owned_by: HashSet<u32> = self
            .objects
            .iter()
            .filter(|o| o.key.part == Part::OwnedBy)
            .map(|o| o.key.oid)
            .collect();
        let index: HashMap<Key, usize> = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.key, i))
            .collect();
        for r in self
            .rows("dependencies", include_str!("dependencies.sql"))
            .await?
        {
            let (class, o, ref_class, ref_oid) = (
                oid(&r, "class"),
                oid(&r, "oid"),
                oid(&r, "ref_class"),
                oid(&r, "ref_oid"),
            );
            // A serial sequence's ownership link points at its table; OWNED BY carries it.
            if class == PG_CLASS && ref_class == PG_CLASS && seq_owned_by.contains(&o) {
                continue;
            }
            let from = self
                .owner_of
                .get(&(class, o))
                .copied()
                .unwrap_or(Key::of(class, o));
            let mut to = self
                .owner_of
                .get(&(ref_class, ref_oid))
                .copied()
                .unwrap_or(Key::of(ref_class, ref_oid));
            // A base type needs its I/O functions, which need only its shell.
            if class == PG_PROC
                && self.c_functions.contains(&o)
                && to.class == PG_TYPE
                && self.base_types.contains(&to.oid)
            {
                to = to.with(Part::Shell);
            }
            if self.unsupported_keys.contains(&to) && keys.contains(&from) {
                self.needs_unsupported.insert(from);
            }
            if from != to && keys.contains(&from) && keys.contains(&to) {
                self.objects[index[&from]].deps.push(to);
            }
        }
        // A view can need a primary key (GROUP BY on it), which is post-data;
        // such views, and whatever reads them, move to post-data too.
        loop {
            let post: HashSet<Key> = self
                .objects
                .iter()
                .filter(|o| o.section == Section::PostData)
                .map(|o| o.key)
                .collect();
            let mut moved = false;
            for obj in &mut self.objects {
                let movable = matches!(
                    obj.sort_key.0,
                    group::VIEW | group::FUNCTION | group::AGGREGATE
                );
                if obj.section == Section::PreData
                    && movable
                    && obj.deps.iter().any(|d| post.contains(d))
                {
                    obj.section = Section::PostData;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        self.plan_refreshes();
        Ok(())
    }
}
