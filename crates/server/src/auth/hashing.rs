//! Password work (argon2id hashes of 19 MiB each, verifying them, the
//! strength check) off the async runtime and a few at a time: a burst of
//! sign-ups or sign-ins waits its turn instead of taking the server's
//! memory and cores, and past a configured wait is told to come back.
//!
//! The work runs on [`HASHES_AT_ONCE`] threads of its own rather than on
//! tokio's blocking pool: the allocator keeps a freed 19 MiB block in the
//! arena of the thread that used it, so hashes spread over the blocking
//! pool's many threads left the server holding about 19 MiB per thread
//! (330 MiB after 400 sign-ups in `benches/load.rs`); on four threads it
//! holds at most four such blocks.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Password hashes computed at once, at most.
pub const HASHES_AT_ONCE: usize = 4;

/// The Retry-After of the 503 when a turn does not come in time.
const RETRY_AFTER_SECONDS: u64 = 5;

/// Work sent to the password threads.
type Job = Box<dyn FnOnce() + Send>;

/// The turns at the password hashes of one server, and the threads that
/// compute them (they end when it is dropped).
pub struct Hashing {
    turns: Arc<Semaphore>,
    /// How long a request waits for its turn before the 503.
    wait: Duration,
    jobs: mpsc::Sender<Job>,
}

impl Hashing {
    pub fn new(wait: Duration) -> Hashing {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..HASHES_AT_ONCE {
            let queue = queue.clone();
            let worker = move || {
                loop {
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(job) = job else { return };
                    // A panic fails its own request (its answer is dropped),
                    // not the thread.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                }
            };
            std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(worker)
                .expect("a thread for password hashes");
        }
        Hashing {
            turns: Arc::new(Semaphore::new(HASHES_AT_ONCE)),
            wait,
            jobs,
        }
    }

    /// A turn at the hashes, once one is free; a 503 with Retry-After
    /// when none frees up within the configured wait. Taken before anything
    /// is counted against the caller, so a request turned away as busy
    /// leaves no trace.
    pub async fn turn(&self) -> AppResult<Turn> {
        match tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn {
                permit,
                jobs: self.jobs.clone(),
            }),
            _ => Err(AppError::Busy {
                message:
                    "The server is checking many passwords just now; try again in a few seconds."
                        .into(),
                retry_after_seconds: RETRY_AFTER_SECONDS,
            }),
        }
    }

    /// [`Hashing::turn`], then [`Turn::run`].
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        self.turn().await?.run(work).await
    }
}

/// One turn at the password hashes.
pub struct Turn {
    permit: tokio::sync::OwnedSemaphorePermit,
    jobs: mpsc::Sender<Job>,
}

impl Turn {
    /// Runs `work` on a password thread. The work holds the turn, so a
    /// request that is given up meanwhile (its client gone, its time up)
    /// frees it only when the work ends: never more than
    /// [`HASHES_AT_ONCE`] run.
    pub async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let permit = self.permit;
        let job: Job = Box::new(move || {
            let result = work();
            drop(permit);
            let _ = answer.send(result);
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the password threads have ended")))?;
        answered.await.map_err(|_| {
            AppError::Internal(anyhow::anyhow!("password work ended without an answer"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_most_a_few_run_at_once_and_the_rest_are_told_to_retry() {
        let hashing = Arc::new(Hashing::new(Duration::from_millis(50)));
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (hashing, running, most) = (hashing.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    hashing
                        .run(move || {
                            let now = running.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                            most.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(200));
                            running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => done += 1,
                Err(AppError::Busy {
                    retry_after_seconds,
                    ..
                }) => {
                    assert_eq!(retry_after_seconds, RETRY_AFTER_SECONDS);
                    busy += 1;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(done, HASHES_AT_ONCE, "the first turns ran");
        assert_eq!(
            busy,
            12 - HASHES_AT_ONCE,
            "the rest waited 50 ms and gave up"
        );
        assert!(most.load(std::sync::atomic::Ordering::SeqCst) <= HASHES_AT_ONCE);
    }
}
