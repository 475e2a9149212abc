//! When materialized views are refreshed: after the ones they read, and not
//! at all if they read one that stays unpopulated.

use std::collections::{HashMap, HashSet};

use super::*;

impl CatalogReader<'_> {
    /// Orders the REFRESH statements and drops those that cannot run.
    ///
    /// A matview reads other matviews directly or through views. One that was
    /// never populated stays so (no REFRESH); a populated one that reads it
    /// could not be refreshed (the server says "has not been populated"), so it
    /// stays unpopulated too, as pg_dump decides. Needs the dependencies.
    pub(super) fn plan_refreshes(&mut self) {
        let deps: HashMap<u32, Vec<u32>> = self
            .objects
            .iter()
            .filter(|o| o.key.class == PG_CLASS && o.key.part == Part::Main)
            .map(|o| {
                let reads = o
                    .deps
                    .iter()
                    .filter(|d| d.class == PG_CLASS && d.part == Part::Main)
                    .map(|d| d.oid)
                    .collect();
                (o.key.oid, reads)
            })
            .collect();
        let kind = |oid: &u32| self.relations.get(oid).map(|r| r.kind.as_str());
        // The matviews each matview reads, looking through plain views.
        let mut reads: HashMap<u32, HashSet<u32>> = HashMap::new();
        for (&mv, _) in deps.iter().filter(|(o, _)| kind(o) == Some("m")) {
            let mut found = HashSet::new();
            let mut seen = HashSet::new();
            let mut todo: Vec<u32> = deps[&mv].clone();
            while let Some(o) = todo.pop() {
                if !seen.insert(o) {
                    continue;
                }
                match kind(&o) {
                    Some("m") if o != mv => {
                        found.insert(o);
                    }
                    Some("v") => todo.extend(deps.get(&o).into_iter().flatten()),
                    _ => {}
                }
            }
            reads.insert(mv, found);
        }
        let mut populated: HashSet<u32> = self
            .objects
            .iter()
            .filter(|o| o.key.part == Part::Refresh)
            .map(|o| o.key.oid)
            .collect();
        loop {
            let stale: Vec<u32> = populated
                .iter()
                .copied()
                .filter(|mv| {
                    reads
                        .get(mv)
                        .into_iter()
                        .flatten()
                        .any(|r| !populated.contains(r))
                })
                .collect();
            if stale.is_empty() {
                break;
            }
            for mv in stale {
                populated.remove(&mv);
            }
        }
        self.objects
            .retain(|o| o.key.part != Part::Refresh || populated.contains(&o.key.oid));
        for obj in &mut self.objects {
            if obj.key.part == Part::Refresh {
                let mut after: Vec<u32> = reads
                    .get(&obj.key.oid)
                    .into_iter()
                    .flatten()
                    .copied()
                    .collect();
                after.sort_unstable();
                obj.deps.extend(
                    after
                        .into_iter()
                        .map(|o| Key::of(PG_CLASS, o).with(Part::Refresh)),
                );
            }
        }
    }
}
