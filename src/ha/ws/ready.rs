//! Whether Core is ready for states, as the link tells the publishers, and each publisher's
//! watch on it.

use tokio::sync::watch;

/// Whether Core is ready for states, and a counter that grows each time it becomes ready
/// (after a (re)connect or a `homeassistant_started` event): the publisher republishes all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    pub generation: u64,
}

/// Follows [`Readiness`] for one publisher: tells it when Core became ready anew (a new
/// session or a restarted Core, which forgot every state: send everything again).
pub struct ReadyWatch {
    rx: watch::Receiver<Readiness>,
    generation: u64,
}

impl ReadyWatch {
    pub fn new(rx: watch::Receiver<Readiness>) -> Self {
        ReadyWatch { rx, generation: 0 }
    }

    /// Waits for the next change: `None` once the link is gone, `Some(true)` when Core became
    /// ready in a generation this publisher has not seen, `Some(false)` otherwise.
    pub async fn changed(&mut self) -> Option<bool> {
        self.rx.changed().await.ok()?;
        let r = *self.rx.borrow_and_update();
        let anew = r.ready && r.generation != self.generation;
        if anew {
            self.generation = r.generation;
        }
        Some(anew)
    }

    /// Whether Core takes states now.
    pub fn is_ready(&self) -> bool {
        self.rx.borrow().ready
    }
}
