//! Dependency ordering of schema objects, shared by the engines.
//!
//! Objects are emitted in topological order of their dependencies. Among the
//! objects that are ready, the smallest sort key goes first, so the file reads
//! in kind groups (schemas, types, functions, tables, ...) and is the same
//! bytes every time for the same database.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where an object goes in the schema file: before the data or after it, and
/// (MySQL) the code that is created last: views, routines, triggers, events.
/// Each is announced by a `-- dbsnap:section NAME` marker, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    PreData,
    PostData,
    Code,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::PreData, Section::PostData, Section::Code];

    /// The name in the section marker.
    pub fn marker(self) -> &'static str {
        match self {
            Section::PreData => "pre-data",
            Section::PostData => "post-data",
            Section::Code => "code",
        }
    }

    pub fn from_marker(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.marker() == name)
    }
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
/// broken at an object on it (see [`sort_objects_with`]) and reported in the
/// returned warnings.
pub fn sort_objects<K>(objects: Vec<SchemaObject<K>>) -> (Vec<SchemaObject<K>>, Vec<String>)
where
    K: Clone + Eq + std::hash::Hash + Ord,
{
    sort_objects_with(objects, |_, _| false)
}

/// [`sort_objects`], where `weak(from, to)` says that `from`'s dependency on
/// `to` is the cheap one to give up when a cycle must be broken (a nullable
/// foreign key: its rows can load before the rows they reference only if
/// they hold NULL there, which a cycle's closing key usually does).
///
/// A cycle is broken inside a group of objects that wait only on each other
/// (not at an object that merely waits on a cycle: that one would then come
/// before the rows it references). Within that group the object whose
/// remaining dependencies are all weak goes first, else the smallest.
pub fn sort_objects_with<K>(
    objects: Vec<SchemaObject<K>>,
    weak: impl Fn(&K, &K) -> bool,
) -> (Vec<SchemaObject<K>>, Vec<String>)
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
    let mut depends: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, obj) in objects.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for dep in &obj.deps {
            let Some(&j) = index.get(dep) else { continue };
            if j == i || objects[j].section > obj.section || !seen.insert(j) {
                continue;
            }
            waiting_on[i] += 1;
            dependents[j].push(i);
            depends[i].push(j);
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
                // Only a cycle can leave objects waiting.
                let comp = components(&depends, &done);
                // Groups that wait on nothing outside themselves: a cycle
                // (every object left waits on something).
                let mut closed = vec![true; n];
                for i in (0..n).filter(|&i| !done[i]) {
                    for &j in &depends[i] {
                        if !done[j] && comp[j] != comp[i] {
                            closed[comp[i]] = false;
                        }
                    }
                }
                let all_weak = |i: usize| {
                    depends[i]
                        .iter()
                        .filter(|&&j| !done[j])
                        .all(|&j| weak(&objects[i].key, &objects[j].key))
                };
                let i = (0..n)
                    .filter(|&i| !done[i] && closed[comp[i]])
                    .min_by_key(|&i| (!all_weak(i), rank(i)))
                    .expect("a cycle among the objects left");
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

/// Strongly connected components (Tarjan, without recursion) of the objects
/// not yet placed, along "waits on" edges: each object's component number
/// (`usize::MAX` for placed ones).
fn components(depends: &[Vec<usize>], done: &[bool]) -> Vec<usize> {
    const NONE: usize = usize::MAX;
    let n = depends.len();
    let (mut index, mut low, mut comp) = (vec![NONE; n], vec![0; n], vec![NONE; n]);
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let (mut next_index, mut next_comp) = (0, 0);
    for root in 0..n {
        if done[root] || index[root] != NONE {
            continue;
        }
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        // (object, how many of its dependencies were visited)
        let mut path = vec![(root, 0usize)];
        while let Some(&(v, pos)) = path.last() {
            if let Some(&w) = depends[v].get(pos) {
                path.last_mut().expect("non-empty").1 += 1;
                if done[w] {
                    continue;
                }
                if index[w] == NONE {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    path.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            path.pop();
            if let Some(&(parent, _)) = path.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                loop {
                    let w = stack.pop().expect("v is on the stack");
                    on_stack[w] = false;
                    comp[w] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
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
    fn cycles_are_broken_at_an_object_on_them() {
        // "a" waits on the cycle x <-> y but is not on it: releasing "a",
        // the smallest name, would put it before the y it needs.
        let (sorted, warnings) = sort_objects(vec![
            obj(1, 1, "a", &[3]),
            obj(2, 1, "x", &[3]),
            obj(3, 1, "y", &[2]),
        ]);
        assert_eq!(names(&sorted), ["x", "y", "a"]);
        assert_eq!(warnings, ["dependency cycle broken at x"]);
        // A cycle that waits on another cycle is not the one broken first.
        let (sorted, _) = sort_objects(vec![
            obj(1, 1, "a", &[2, 3]),
            obj(2, 1, "b", &[1]),
            obj(3, 1, "x", &[4]),
            obj(4, 1, "y", &[3]),
        ]);
        assert_eq!(names(&sorted), ["x", "y", "a", "b"]);
    }

    #[test]
    fn cycles_are_broken_at_a_weak_dependency() {
        // store -> staff is nullable, staff -> store is not: store goes first.
        let (sorted, _) = sort_objects_with(
            vec![obj(1, 1, "staff", &[2]), obj(2, 1, "store", &[1])],
            |from, to| (*from, *to) == (2, 1),
        );
        assert_eq!(names(&sorted), ["store", "staff"]);
    }

    #[test]
    fn post_data_never_precedes_pre_data() {
        let mut post = obj(1, 0, "index", &[]);
        post.section = Section::PostData;
        let (sorted, _) = sort_objects(vec![post, obj(2, 9, "table", &[1])]);
        assert_eq!(names(&sorted), ["table", "index"]);
    }
}
