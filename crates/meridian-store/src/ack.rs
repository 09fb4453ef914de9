//! A pending durable acknowledgement, resolved by the writer thread after COMMIT.
//!
//! Hand-rolled (a mutex, a condvar and a waker) rather than a tokio oneshot so that
//! `wait_blocking` is safe to call from any thread, including one inside a runtime.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::Error;

#[derive(Debug, Default)]
struct State {
    result: Option<Result<(), Error>>,
    waker: Option<Waker>,
}

#[derive(Debug, Default)]
struct Slot {
    state: Mutex<State>,
    ready: Condvar,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Resolves when the write it was returned for is durable (after COMMIT) or has failed.
///
/// Wait with [`Ack::wait_blocking`] from synchronous code, or `.await` it (it is a
/// [`Future`]) from async code.
#[derive(Debug)]
#[must_use = "an Ack tells whether the write was saved; wait for it or drop it on purpose"]
pub struct Ack(Arc<Slot>);

/// The writer thread's end of an [`Ack`]. Dropping it unresolved (the writer thread
/// stopped) resolves the Ack with [`Error::WriterStopped`], so no waiter hangs.
#[derive(Debug)]
pub(crate) struct Completer {
    slot: Option<Arc<Slot>>,
    path: PathBuf,
}

pub(crate) fn pair(path: PathBuf) -> (Ack, Completer) {
    let slot = Arc::new(Slot::default());
    (
        Ack(Arc::clone(&slot)),
        Completer {
            slot: Some(slot),
            path,
        },
    )
}

impl Completer {
    pub(crate) fn complete(mut self, result: Result<(), Error>) {
        if let Some(slot) = self.slot.take() {
            resolve(&slot, result);
        }
    }
}

fn resolve(slot: &Slot, result: Result<(), Error>) {
    let waker = {
        let mut state = slot.lock();
        state.result = Some(result);
        state.waker.take()
    };
    slot.ready.notify_all();
    if let Some(w) = waker {
        w.wake();
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let path = std::mem::take(&mut self.path);
            resolve(&slot, Err(Error::WriterStopped { path }));
        }
    }
}

impl Ack {
    /// Blocks the calling thread until the write is durable or has failed.
    pub fn wait_blocking(self) -> Result<(), Error> {
        let mut state = self.0.lock();
        loop {
            if let Some(r) = state.result.take() {
                return r;
            }
            state = self
                .0
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Waits without blocking the async runtime.
    pub async fn wait(self) -> Result<(), Error> {
        self.await
    }

    /// True once the outcome is known (waiting would not block).
    pub fn is_resolved(&self) -> bool {
        self.0.lock().result.is_some()
    }
}

impl Future for Ack {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.0.lock();
        match state.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_completer_resolves_with_writer_stopped() {
        let (ack, done) = pair(PathBuf::from("/tmp/x.db"));
        drop(done);
        assert!(matches!(
            ack.wait_blocking(),
            Err(Error::WriterStopped { .. })
        ));
    }

    #[test]
    fn completion_from_another_thread_wakes_a_blocking_waiter() {
        let (ack, done) = pair(PathBuf::new());
        let t = std::thread::spawn(move || done.complete(Ok(())));
        assert!(ack.wait_blocking().is_ok());
        t.join().expect("completer thread");
    }

    #[tokio::test]
    async fn ack_is_awaitable() {
        let (ack, done) = pair(PathBuf::new());
        std::thread::spawn(move || done.complete(Ok(())));
        assert!(ack.await.is_ok());
    }
}
