//! Dependency ordering of schema objects, shared by the engines.
//!
//! Objects are emitted in topological order of their dependencies. Among the
//! objects that are ready, the smallest sort key goes first, so the file reads
//! in kind groups (schemas, types, functions, tables, ...) and is the same
//! bytes every time for the same database.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where an object goes in the schema file: before the data or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    PreData,
    PostData,
}

/// One statement group of a schema file, with what it needs to exist first.
#[derive(Debug, Clone)]
pub struct SchemaObject<K> {
    pub key: K,
    pub section: Section,
    /// Kind group, name parts: the deterministic tie-break among ready objects.
    pub sort_key: (u8, String, String, String),
    /// Human label for the header comment, e.g. `TABLE public.film`.
    pub label: String,
    pub sql: String,
    pub deps: Vec<K>,
}

/// Orders objects so that each comes after everything it depends on within its
/// section. Dependencies on unknown keys, and from pre-data on post-data
/// objects, are ignored (the section order already decides those). A cycle is
/// broken at its smallest object and reported in the returned warnings.
pub fn sort_objects<K>(objects: Vec<SchemaObject<K>>) -> (Vec<SchemaObject<K>>, Vec<String>)
where
    K: Clone + Eq + std::hash::Hash + Ord,
{
    let index: HashMap<K, usize> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| (o.key.clone(), i))
        .collect();
    let n = objects.len();
    let mut waiting_on = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, obj) in objects.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for dep in &obj.deps {
            let Some(&j) = index.get(dep) else { continue };
            if j == i || objects[j].section > obj.section || !seen.insert(j) {
                continue;
            }
            waiting_on[i] += 1;
            dependents[j].push(i);
        }
    }

    let rank = |i: usize| {
        (
            objects[i].section,
            objects[i].sort_key.clone(),
            objects[i].key.clone(),
        )
    };
    let mut ready: BTreeMap<_, usize> = (0..n)
        .filter(|&i| waiting_on[i] == 0)
        .map(|i| (rank(i), i))
        .collect();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut warnings = Vec::new();
    while order.len() < n {
        let next = match ready.pop_first() {
            Some((_, i)) => i,
            None => {
                // Only a cycle can leave objects waiting; release the smallest.
                let i = (0..n)
                    .filter(|&i| !done[i])
                    .min_by_key(|&i| rank(i))
                    .expect("objects left");
                warnings.push(format!("dependency cycle broken at {}", objects[i].label));
                i
            }
        };
        done[next] = true;
        order.push(next);
        for &d in &dependents[next] {
            if done[d] {
                continue;
            }
            waiting_on[d] -= 1;
            if waiting_on[d] == 0 {
                ready.insert(rank(d), d);
            }
        }
    }

    let mut slots: Vec<Option<SchemaObject<K>>> = objects.into_iter().map(Some).collect();
    let sorted = order
        .into_iter()
        .map(|i| slots[i].take().expect("each object once"))
        .collect();
    (sorted, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(key: u32, group: u8, name: &str, deps: &[u32]) -> SchemaObject<u32> {
        SchemaObject {
            key,
            section: Section::PreData,
            sort_key: (group, String::new(), name.to_string(), String::new()),
            label: name.to_string(),
            sql: String::new(),
            deps: deps.to_vec(),
        }
    }

    fn names(objs: &[SchemaObject<u32>]) -> Vec<&str> {
        objs.iter().map(|o| o.label.as_str()).collect()
    }

    #[test]
    fn dependencies_beat_sort_keys() {
        // a_view reads z_view: the name order alone would be wrong.
        let (sorted, warnings) = sort_objects(vec![
            obj(1, 9, "a_view", &[2]),
            obj(2, 9, "z_view", &[3]),
            obj(3, 8, "table", &[]),
        ]);
        assert_eq!(names(&sorted), ["table", "z_view", "a_view"]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn ties_follow_sort_key_and_input_order_does_not_matter() {
        let a = vec![
            obj(1, 2, "b", &[]),
            obj(2, 1, "c", &[]),
            obj(3, 2, "a", &[]),
        ];
        let mut b = a.clone();
        b.reverse();
        assert_eq!(names(&sort_objects(a).0), ["c", "a", "b"]);
        assert_eq!(names(&sort_objects(b).0), ["c", "a", "b"]);
    }

    #[test]
    fn cycles_are_broken_and_reported() {
        let (sorted, warnings) = sort_objects(vec![obj(1, 1, "x", &[2]), obj(2, 1, "y", &[1])]);
        assert_eq!(sorted.len(), 2);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn post_data_never_precedes_pre_data() {
        let mut post = obj(1, 0, "index", &[]);
        post.section = Section::PostData;
        let (sorted, _) = sort_objects(vec![post, obj(2, 9, "table", &[1])]);
        assert_eq!(names(&sorted), ["table", "index"]);
    }
}
