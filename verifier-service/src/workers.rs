//! Verification threads: a fixed pool of blocking threads fed by one queue.
//!
//! Verifications run off the async runtime (ADR 0011: core and chain reads
//! block). `spawn_blocking` per request gave every request in flight a
//! thread of its own (64 in flight: 64 threads time-slicing 2 cores) and a
//! thread wake-up per request. Here two threads per core take jobs from
//! one queue and only sleep when it is empty, so under load a job costs no
//! wake-up and the audit writer, which every answer waits for, is not
//! starved. Two per core rather than one, so that a verification waiting
//! on the chain does not idle a core.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The pool. Its threads end when it is dropped (after their current job).
pub(crate) struct Workers {
    tx: Mutex<Option<Sender<Job>>>,
}

impl Workers {
    /// Starts `threads` threads named `name`. If a thread cannot be started,
    /// the pool runs with those that could; with none, jobs fall back to
    /// `spawn_blocking`.
    pub(crate) fn start(threads: usize, name: &str) -> Workers {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let started = (0..threads.max(1))
            .filter(|_| {
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || work(&rx))
                    .is_ok()
            })
            .count();
        Workers {
            tx: Mutex::new((started > 0).then_some(tx)),
        }
    }

    /// Runs `f` on a pool thread and waits for its result; `Err` if it
    /// panicked.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ()> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(f());
        });
        let queued = match self.tx.lock() {
            Ok(tx) => match tx.as_ref() {
                Some(tx) => tx.send(job).map_err(|e| e.0),
                None => Err(job),
            },
            Err(_) => Err(job),
        };
        if let Err(job) = queued {
            tokio::task::spawn_blocking(job).await.map_err(|_| ())?;
        }
        answer.await.map_err(|_| ())
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A panicking job drops its reply (the caller sees `Err`); the
        // thread goes on.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
    }
}

/// How many verification threads: two per core.
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get().saturating_mul(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_a_panic() {
        let w = Workers::start(2, "test-worker");
        assert_eq!(w.run(|| 2 + 2).await, Ok(4));
        let panicked: Result<(), ()> = w.run(|| panic!("boom")).await;
        assert_eq!(panicked, Err(()));
        let many: Vec<_> = (0..50).map(|i| w.run(move || i * 2)).collect();
        for (i, f) in many.into_iter().enumerate() {
            assert_eq!(f.await, Ok(i * 2));
        }
        // Without threads, jobs run on tokio's blocking pool.
        let none = Workers {
            tx: Mutex::new(None),
        };
        assert_eq!(none.run(|| 7).await, Ok(7));
    }
}
