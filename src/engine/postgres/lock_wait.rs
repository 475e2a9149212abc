//! Which lock a loading backend waits for, and who holds it (see
//! `engine::lock_wait`, which reports it).

use std::time::Duration;

use tokio_postgres::Row;

use super::connect;
use crate::config::ConnectionSpec;
use crate::engine::lock_wait::{Waiting, Watch};

/// Watches backend `pid` from a connection of its own until dropped.
pub fn watch(spec: &ConnectionSpec, pid: i32, timeout: Option<u64>) -> Watch {
    let spec = spec.clone();
    Watch::spawn(timeout, move |mut reporter| async move {
        let Ok(client) = connect::connect(&spec).await else {
            return;
        };
        let Ok(query) = client.prepare(include_str!("sql/lock_waits.sql")).await else {
            return;
        };
        loop {
            tokio::time::sleep(reporter.next_poll()).await;
            match client.query(&query, &[&pid]).await {
                Ok(rows) => reporter.saw(waiting(&rows)),
                Err(_) => return,
            }
        }
    })
}

fn waiting(rows: &[Row]) -> Option<Waiting> {
    let on: String = rows.first()?.get("waiting_on");
    let waited: Option<f64> = rows.first()?.get("waited");
    let holders = rows
        .iter()
        .filter_map(|r| {
            let pid: Option<i32> = r.get("pid");
            let user: Option<String> = r.get("usename");
            let app: Option<String> = r.get("application_name");
            let state: Option<String> = r.get("state");
            let seconds: Option<i64> = r.get("in_transaction");
            let mut words = vec![format!("user {}", user.unwrap_or_default())];
            if let Some(app) = app.filter(|a| !a.is_empty()) {
                words.push(format!("application {app}"));
            }
            if let Some(state) = state {
                words.push(state);
            }
            if let Some(seconds) = seconds {
                words.push(format!("in a transaction for {seconds} s"));
            }
            Some(format!("process {} ({})", pid?, words.join(", ")))
        })
        .collect();
    Some(Waiting {
        on,
        holders,
        waited: waited.and_then(|s| Duration::try_from_secs_f64(s).ok()),
    })
}
