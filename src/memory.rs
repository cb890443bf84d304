//! The instance's memory budget: every message a channel holds (queued, kept for replay) and
//! every listener is charged here while it lives, and nothing new is accepted past the budget.
//! Per-listener and per-channel limits bound what one consumer or channel holds; this bounds
//! the sum, so no number of channels and listeners can push the instance to the WebAssembly
//! memory ceiling (where an allocation failure would trap and poison the instance).
//!
//! The counter is per thread (wasm runs on one), so native tests stay independent.

use std::cell::Cell;

use crate::error::Error;

/// The default budget: 512 MiB, an eighth of the wasm32 address space.
pub const DEFAULT_BUDGET: usize = 512 * 1024 * 1024;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static BUDGET: Cell<usize> = const { Cell::new(DEFAULT_BUDGET) };
}

/// Bytes charged now.
pub fn live_bytes() -> usize {
    LIVE.with(Cell::get)
}

/// The budget in force.
pub fn budget() -> usize {
    BUDGET.with(Cell::get)
}

/// Sets the budget. Lowering it under what is charged refuses new values until enough is freed;
/// nothing held is dropped.
pub fn set_budget(bytes: usize) {
    BUDGET.with(|b| b.set(bytes));
}

/// A charge against the budget, released when dropped.
#[derive(Debug)]
pub(crate) struct Charge(usize);

impl Charge {
    /// The bytes charged.
    pub(crate) fn bytes(&self) -> usize {
        self.0
    }

    /// Charges `bytes`.
    ///
    /// # Errors
    /// [`Error::MemoryLimit`] when that would pass the budget; nothing is charged then.
    pub(crate) fn reserve(bytes: usize) -> Result<Charge, Error> {
        let live = live_bytes();
        let budget = budget();
        match live.checked_add(bytes) {
            Some(total) if total <= budget => {
                LIVE.with(|l| l.set(total));
                Ok(Charge(bytes))
            }
            _ => Err(Error::MemoryLimit { needed: bytes, budget }),
        }
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get().saturating_sub(self.0)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_are_refused_past_the_budget_and_released_on_drop() {
        set_budget(100);
        let start = live_bytes();
        let a = Charge::reserve(60).unwrap();
        assert_eq!(live_bytes(), start + 60);
        let err = Charge::reserve(41).unwrap_err();
        assert_eq!(err.name(), "MemoryLimitError");
        assert_eq!(live_bytes(), start + 60, "a refused charge changes nothing");
        drop(a);
        assert_eq!(live_bytes(), start);
        assert!(Charge::reserve(100).is_ok());
        set_budget(DEFAULT_BUDGET);
    }
}
