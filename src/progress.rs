//! Progress on a terminal, nothing otherwise: indicatif hides bars whose
//! stderr is not a terminal.
//!
//! One line counts the units of work (`3/12 tables`); under it, one line per
//! table being worked on now shows rows and bytes within that table, with an
//! ETA when the expected row count is known (the catalog's estimate for an
//! export, the manifest for an import). Post-data work is a line of its own
//! (`indexes 4/9, foreign keys 0/3`). Commands and engines call only:
//!
//! - [`Progress::new`] with the total from the catalog or the file header;
//! - [`Progress::begin_table`], then [`TableProgress::advance`] and
//!   [`TableProgress::finish_table`];
//! - [`Steps`] for post-data, whose steps are counted by kind;
//! - [`Progress::finish`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Rows or bytes gathered before the table's line is updated, so a COPY
/// that yields one chunk per row does not pay for a bar update per row.
const BATCH_ROWS: u64 = 512;
const BATCH_BYTES: u64 = 256 * 1024;

#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
    /// Set when the top line measures bytes of a file being loaded: tables
    /// are then counted in its message.
    tables: Option<Arc<TableCount>>,
}

struct TableCount {
    done: AtomicU64,
    /// None when the file does not say (foreign dumps).
    total: Option<u64>,
}

impl TableCount {
    fn message(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        match self.total {
            Some(total) => format!("{done}/{total} tables"),
            None => format!("{done} tables"),
        }
    }
}

impl Progress {
    /// `what` names the units counted, e.g. `tables`.
    pub fn new(total: u64, what: &str) -> Progress {
        Progress::to(ProgressDrawTarget::stderr(), total, what)
    }

    fn to(target: ProgressDrawTarget, total: u64, what: &str) -> Progress {
        let multi = MultiProgress::with_draw_target(target);
        let overall = multi.add(ProgressBar::new(total));
        let template =
            format!("{{spinner}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {what} {{msg}}");
        overall.set_style(style(&template));
        overall.enable_steady_tick(Duration::from_millis(200));
        Progress {
            multi,
            overall,
            tables: None,
        }
    }

    /// Loading a file of `file_bytes` bytes: the top line follows how much
    /// of the file has been read (its ETA holds for any compression, as it
    /// counts the file's own bytes) and counts tables out of `tables`.
    pub fn loading(file_bytes: u64, tables: Option<u64>) -> Progress {
        Progress::loading_to(ProgressDrawTarget::stderr(), file_bytes, tables)
    }

    fn loading_to(target: ProgressDrawTarget, file_bytes: u64, tables: Option<u64>) -> Progress {
        let multi = MultiProgress::with_draw_target(target);
        let overall = multi.add(ProgressBar::new(file_bytes));
        overall.set_style(style(
            "{spinner} [{elapsed_precise}] {bar:30} {binary_bytes}/{binary_total_bytes} read, {msg} (ETA {eta})",
        ));
        overall.enable_steady_tick(Duration::from_millis(200));
        let count = TableCount {
            done: AtomicU64::new(0),
            total: tables,
        };
        overall.set_message(count.message());
        Progress {
            multi,
            overall,
            tables: Some(Arc::new(count)),
        }
    }

    /// How far into the file a load has read.
    pub fn read_to(&self, position: u64) {
        self.overall.set_position(position);
    }

    fn table_done(&self) {
        match &self.tables {
            Some(count) => {
                count.done.fetch_add(1, Ordering::Relaxed);
                self.overall.set_message(count.message());
            }
            None => self.overall.inc(1),
        }
    }

    /// A line for the table `name` that work starts on now. With
    /// `expected_rows` known (non-zero) it shows a bar and an ETA.
    pub fn begin_table(
        &self,
        name: &str,
        expected_rows: u64,
        expected_bytes: u64,
    ) -> TableProgress {
        let bar = if expected_rows > 0 {
            let bar = ProgressBar::new(expected_rows);
            bar.set_style(style(
                "  {prefix} {bar:20} {human_pos}/~{human_len} rows, {msg} (ETA {eta})",
            ));
            bar
        } else {
            let bar = ProgressBar::new_spinner();
            bar.set_style(style("  {prefix} {human_pos} rows, {msg}"));
            bar
        };
        let bar = self.multi.add(bar);
        bar.set_prefix(name.to_string());
        bar.set_message(bytes_message(0, expected_bytes));
        bar.tick();
        TableProgress {
            bar,
            progress: self.clone(),
            expected_bytes,
            rows: 0,
            bytes: 0,
            pending_rows: 0,
            pending_bytes: 0,
        }
    }

    pub fn finish(&self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

/// One table's line; owned by whoever reads or loads that table.
pub struct TableProgress {
    bar: ProgressBar,
    progress: Progress,
    expected_bytes: u64,
    rows: u64,
    bytes: u64,
    pending_rows: u64,
    pending_bytes: u64,
}

impl TableProgress {
    pub fn advance(&mut self, rows: u64, bytes: u64) {
        self.pending_rows += rows;
        self.pending_bytes += bytes;
        if self.pending_rows >= BATCH_ROWS || self.pending_bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.rows += self.pending_rows;
        self.bytes += self.pending_bytes;
        self.bar.inc(self.pending_rows);
        // The estimate may be low: grow the bar rather than overflow it.
        if self
            .bar
            .length()
            .is_some_and(|len| len > 0 && self.rows > len)
        {
            self.bar.set_length(self.rows);
        }
        self.bar
            .set_message(bytes_message(self.bytes, self.expected_bytes));
        self.pending_rows = 0;
        self.pending_bytes = 0;
    }

    /// The exact row count, once the reader knows it (the end of a COPY block).
    pub fn settle(&mut self, rows: u64) {
        self.pending_rows = rows.saturating_sub(self.rows);
        self.flush();
    }

    /// The table is done: its line goes, the count of tables goes up.
    pub fn finish_table(mut self) {
        self.flush();
        self.bar.finish_and_clear();
        self.progress.table_done();
    }
}

/// Post-data: one line over all steps, counting each kind of step (indexes,
/// constraints, foreign keys...) out of what the schema file holds. Clones
/// share the line, so steps done on several connections count together.
#[derive(Clone)]
pub struct Steps {
    bar: ProgressBar,
    kinds: Arc<Vec<StepKind>>,
}

struct StepKind {
    label: &'static str,
    total: u64,
    done: AtomicU64,
}

impl Steps {
    /// `kinds`: each kind's label and how many steps of it there are.
    pub fn new(name: &str, kinds: &[(&'static str, u64)]) -> Steps {
        Steps::to(ProgressDrawTarget::stderr(), name, kinds)
    }

    /// A line that draws nothing (no terminal, or nothing to count).
    pub fn hidden() -> Steps {
        Steps::to(ProgressDrawTarget::hidden(), "", &[])
    }

    fn to(target: ProgressDrawTarget, name: &str, kinds: &[(&'static str, u64)]) -> Steps {
        let total = kinds.iter().map(|(_, n)| n).sum();
        let bar = ProgressBar::with_draw_target(Some(total), target);
        bar.set_style(style(
            "{spinner} [{elapsed_precise}] {prefix} {bar:30} {pos}/{len} {msg} (ETA {eta})",
        ));
        bar.set_prefix(name.to_string());
        let kinds = kinds
            .iter()
            .map(|&(label, total)| StepKind {
                label,
                total,
                done: AtomicU64::new(0),
            })
            .collect();
        let steps = Steps {
            bar,
            kinds: Arc::new(kinds),
        };
        steps.bar.set_message(steps.message());
        steps.bar.enable_steady_tick(Duration::from_millis(200));
        steps
    }

    /// One step of the kind at `index` (in the order given to `new`) is done.
    pub fn done(&self, index: usize) {
        if let Some(kind) = self.kinds.get(index) {
            kind.done.fetch_add(1, Ordering::Relaxed);
        }
        self.bar.inc(1);
        self.bar.set_message(self.message());
    }

    fn message(&self) -> String {
        self.kinds
            .iter()
            .filter(|k| k.total > 0)
            .map(|k| format!("{} {}/{}", k.label, k.done.load(Ordering::Relaxed), k.total))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants of this file; a typo shows in every test run.
    ProgressStyle::with_template(template).expect("valid progress template")
}

fn bytes_message(bytes: u64, expected: u64) -> String {
    if expected > 0 {
        format!("{} of ~{}", human_bytes(bytes), human_bytes(expected))
    } else {
        human_bytes(bytes)
    }
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(bytes_message(2048, 1024 * 1024), "2.0 KiB of ~1.0 MiB");
    }

    #[test]
    fn a_table_counts_rows_and_grows_past_a_low_estimate() {
        let progress = Progress::to(ProgressDrawTarget::hidden(), 2, "tables");
        let mut table = progress.begin_table("public.t", 1000, 0);
        for _ in 0..1500 {
            table.advance(1, 10);
        }
        table.flush();
        assert_eq!(table.bar.position(), 1500);
        assert_eq!(table.bar.length(), Some(1500));
        assert_eq!(table.bytes, 15_000);
        table.finish_table();
        assert_eq!(progress.overall.position(), 1);
        progress.finish();
    }

    #[test]
    fn post_data_steps_count_each_kind() {
        let steps = Steps::to(
            ProgressDrawTarget::hidden(),
            "post-data",
            &[("indexes", 3), ("constraints", 0), ("foreign keys", 2)],
        );
        assert_eq!(steps.message(), "indexes 0/3, foreign keys 0/2");
        let other = steps.clone();
        steps.done(0);
        other.done(2);
        assert_eq!(steps.message(), "indexes 1/3, foreign keys 1/2");
        assert_eq!(steps.bar.position(), 2);
        assert_eq!(steps.bar.length(), Some(5));
        steps.finish();
    }

    #[test]
    fn a_load_counts_file_bytes_and_tables() {
        let progress = Progress::loading_to(ProgressDrawTarget::hidden(), 1000, Some(3));
        assert_eq!(progress.overall.message(), "0/3 tables");
        progress.begin_table("a", 10, 0).finish_table();
        progress.read_to(400);
        assert_eq!(progress.overall.position(), 400);
        assert_eq!(progress.overall.message(), "1/3 tables");
        let foreign = Progress::loading_to(ProgressDrawTarget::hidden(), 10, None);
        foreign.begin_table("b", 0, 0).finish_table();
        assert_eq!(foreign.overall.message(), "1 tables");
    }
}
