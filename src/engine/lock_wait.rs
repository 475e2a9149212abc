//! Saying so when a load waits for another session's lock. Without it,
//! `import` behind a long transaction looks hung: the server queues the
//! statement and sends nothing. Each engine polls its server on a connection
//! of its own (`postgres::lock_wait`, `mysql::lock_wait`); this module decides
//! when to speak and what to say.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the server is asked (more often just before a wait is told).
pub const POLL: Duration = Duration::from_secs(1);
/// A wait shorter than this is normal contention: nothing is said.
const FIRST: Duration = Duration::from_secs(3);
/// A wait that goes on is reported again this often (a log shows it still waits).
const AGAIN: Duration = Duration::from_secs(60);

/// What a poll found the load waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// `table public.t`, `a row of table `t``, ...
    pub on: String,
    /// The sessions holding it, described (never with their statements,
    /// which may hold anything, passwords included).
    pub holders: Vec<String>,
    /// How long the server says the wait has lasted, where it says so. The
    /// first poll comes a second after the load starts, so a clock started
    /// there told "waiting 3 s" after 4 s of waiting.
    pub waited: Option<Duration>,
}

impl Waiting {
    fn describe(&self) -> String {
        if self.holders.is_empty() {
            format!("a lock on {}, held by another session", self.on)
        } else {
            format!(
                "a lock on {}, held by {}",
                self.on,
                self.holders.join(" and ")
            )
        }
    }
}

/// Turns polls into messages: one once a wait passes `FIRST`, then one every
/// `AGAIN`, and keeps the last wait for the error of a run that gives up.
pub struct Reporter {
    current: Option<(Waiting, Instant)>,
    told: Option<Instant>,
    timeout: Option<u64>,
    last: Arc<Mutex<Option<String>>>,
}

impl Reporter {
    /// `seen` is what this poll found (None: not waiting); says so on stderr
    /// when it is time.
    pub fn saw(&mut self, seen: Option<Waiting>) {
        if let Some(message) = self.message(seen) {
            eprintln!("{message}");
        }
    }

    /// How long to wait before the next poll: `POLL`, or less when a wait
    /// not yet told reaches `FIRST` sooner, so that it is told on time.
    pub fn next_poll(&self) -> Duration {
        match (&self.current, self.told) {
            (Some((_, since)), None) => FIRST
                .saturating_sub(since.elapsed())
                .clamp(Duration::from_millis(50), POLL),
            _ => POLL,
        }
    }

    /// What to say about this poll's finding, if anything.
    fn message(&mut self, seen: Option<Waiting>) -> Option<String> {
        let Some(seen) = seen else {
            self.current = None;
            self.told = None;
            return None;
        };
        let now = Instant::now();
        let started = seen.waited.and_then(|w| now.checked_sub(w));
        let since = match &self.current {
            Some((was, since)) if was.on == seen.on => started.unwrap_or(*since),
            _ => {
                self.told = None;
                started.unwrap_or(now)
            }
        };
        let what = seen.describe();
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(what.clone());
        self.current = Some((seen, since));
        let waited = now.saturating_duration_since(since);
        let due = match self.told {
            None => waited >= FIRST,
            Some(told) => now.saturating_duration_since(told) >= AGAIN,
        };
        if !due {
            return None;
        }
        let advice = match self.timeout {
            Some(s) => format!("it gives up after --lock-timeout {s} s"),
            None => "--lock-timeout SECONDS gives up instead of waiting".to_string(),
        };
        self.told = Some(now);
        Some(format!(
            "dbsnap: waiting {} s for {what}; {advice}",
            waited.as_secs()
        ))
    }
}

/// The polling task of one load; it stops when this is dropped.
pub struct Watch {
    task: tokio::task::JoinHandle<()>,
    last: Arc<Mutex<Option<String>>>,
}

impl Watch {
    /// Runs `poll` (the engine's loop, which calls `Reporter::saw` after
    /// each look) on its own task. A loop that cannot connect or query just
    /// ends: the load does not depend on it.
    pub fn spawn<F, Fut>(timeout: Option<u64>, poll: F) -> Watch
    where
        F: FnOnce(Reporter) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let last = Arc::new(Mutex::new(None));
        let reporter = Reporter {
            current: None,
            told: None,
            timeout,
            last: last.clone(),
        };
        Watch {
            task: tokio::spawn(poll(reporter)),
            last,
        }
    }

    /// The last lock the load was seen waiting for, described.
    pub fn last_seen(&self) -> Option<String> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Adds to `err` who held the lock a load gave up waiting for.
    pub fn explain(&self, err: anyhow::Error, timeout: u64) -> anyhow::Error {
        let held = match self.last_seen() {
            Some(what) => format!(" ({what})"),
            None => String::new(),
        };
        err.context(format!(
            "gave up waiting for a lock after --lock-timeout {timeout} s{held}; nothing was committed"
        ))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reporter() -> (Reporter, Arc<Mutex<Option<String>>>) {
        let last = Arc::new(Mutex::new(None));
        let r = Reporter {
            current: None,
            told: None,
            timeout: None,
            last: last.clone(),
        };
        (r, last)
    }

    #[test]
    fn a_wait_is_described_with_its_holders() {
        let (mut r, last) = reporter();
        r.saw(Some(Waiting {
            on: "table public.t".into(),
            holders: vec!["process 7".into(), "process 9".into()],
            waited: None,
        }));
        assert_eq!(
            last.lock().unwrap().as_deref(),
            Some("a lock on table public.t, held by process 7 and process 9")
        );
        r.saw(None);
        assert!(r.current.is_none());
    }

    #[test]
    fn a_wait_on_something_else_starts_its_own_clock() {
        let (mut r, _) = reporter();
        let on = |t: &str| Waiting {
            on: t.into(),
            holders: vec![],
            waited: None,
        };
        r.saw(Some(on("table a")));
        let first = r.current.as_ref().unwrap().1;
        std::thread::sleep(Duration::from_millis(5));
        r.saw(Some(on("table a")));
        assert_eq!(r.current.as_ref().unwrap().1, first);
        r.saw(Some(on("table b")));
        assert!(r.current.as_ref().unwrap().1 > first);
    }

    #[test]
    fn the_servers_wait_time_is_told_from_the_first_poll() {
        let (mut r, _) = reporter();
        let seen = |secs: u64| {
            Some(Waiting {
                on: "table a".into(),
                holders: vec!["process 7".into()],
                waited: Some(Duration::from_secs(secs)),
            })
        };
        assert_eq!(r.next_poll(), POLL);
        assert_eq!(r.message(seen(1)), None);
        // 1 s of 3 waited: the next look comes at the 3 s mark, not later.
        assert!(r.next_poll() == POLL, "{:?}", r.next_poll());
        r.message(Some(Waiting {
            waited: Some(Duration::from_millis(2500)),
            ..seen(0).unwrap()
        }));
        assert!(
            r.next_poll() <= Duration::from_millis(500),
            "{:?}",
            r.next_poll()
        );
        // The server's clock counts, not the poll's: this is the first poll
        // that sees 3 s, though it comes a moment after the last one.
        assert_eq!(
            r.message(seen(3)).as_deref(),
            Some(
                "dbsnap: waiting 3 s for a lock on table a, held by process 7; \
                 --lock-timeout SECONDS gives up instead of waiting"
            )
        );
        // Told once, then again only after AGAIN.
        assert_eq!(r.next_poll(), POLL);
        assert_eq!(r.message(seen(4)), None);
        assert_eq!(r.message(None), None);
        assert!(r.message(seen(5)).is_some(), "a new wait is told again");
    }
}
