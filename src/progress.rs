//! Progress on a terminal, nothing otherwise. indicatif hides a bar whose
//! stderr is not a terminal; commands only call these few methods.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    rows: u64,
    bytes: u64,
}

impl Progress {
    /// `what` counts units of work, e.g. tables.
    pub fn new(total: u64, what: &str) -> Progress {
        let bar = ProgressBar::new(total);
        let template =
            format!("{{spinner}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {what} {{msg}}");
        bar.set_style(ProgressStyle::with_template(&template).expect("valid template"));
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress {
            bar,
            rows: 0,
            bytes: 0,
        }
    }

    pub fn start(&self, name: &str) {
        self.bar.set_message(format!(
            "{name} ({} rows, {})",
            self.rows,
            human_bytes(self.bytes)
        ));
    }

    pub fn add(&mut self, rows: u64, bytes: u64) {
        self.rows += rows;
        self.bytes += bytes;
    }

    pub fn done_one(&self) {
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
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
