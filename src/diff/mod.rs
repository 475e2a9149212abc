//! `dbsnap diff`: two schemas compared object by object.
//!
//! Both sides are schema snapshots in the form `export-schema` writes them
//! (a file side is first loaded into a scratch database and exported again,
//! so formatting and statement order never count). Each object is keyed by
//! its kind and qualified name, from the `-- dbsnap:object` markers.

pub mod compare;
pub mod kinds;
pub mod objects;
pub mod report;
pub mod tables;
pub mod unified;

pub use compare::compare;
pub use objects::read_objects;
