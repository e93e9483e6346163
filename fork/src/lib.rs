//! Fork detection for [custodian](https://docs.rs/custodian)'s nonce state.
//!
//! After `fork()` a child process holds a copy of its parent's memory, including any
//! nonce counter a cipher was using. If both go on sealing under the same key from
//! the same counter, they repeat nonces: with AES-GCM that reveals the XOR of two
//! plaintexts and lets an attacker forge tags. This crate tells a process cheaply
//! whether it has forked since it created some state:
//!
//! ```
//! let born = custodian_fork::register();
//! // ... later, on the hot path (one relaxed atomic load):
//! if custodian_fork::generation() != born {
//!     // This is a forked child (or a restored snapshot): discard per-process
//!     // nonce state and draw a fresh random prefix before sealing again.
//! }
//! ```
//!
//! # How
//!
//! [`register`] installs, once per process, a `pthread_atfork` *child* handler that
//! increments a process-wide counter. The handler runs in the child before `fork()`
//! returns there, so every read of [`generation`] in the child sees the new value;
//! an atomic increment is async-signal-safe, as a handler in a multi-threaded
//! parent must be. The parent's value does not change. This is the only `unsafe`
//! code custodian depends on of its own: one call to `libc::pthread_atfork`.
//!
//! If the handler cannot be installed (`pthread_atfork` fails only for lack of
//! memory), [`generation`] mixes in the process id instead, read on every call: slower
//! (a system call), never wrong.
//!
//! # What it cannot see
//!
//! - A process or virtual-machine **snapshot restored** (CRIU, Firecracker, a VM
//!   cloned while running) resumes with the same memory and no `fork()`; the restore
//!   tooling must call [`invalidate`] in the restored process before it seals again.
//! - `vfork` and a raw `clone` system call that bypasses the C library run no atfork
//!   handlers. A `vfork` child may only `exec` or `_exit`, so it seals nothing.
//!
//! On platforms without `fork` (Windows), no handler is installed and the generation
//! changes only through [`invalidate`].
#![deny(missing_docs)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Forks (seen by this process and its ancestors since [`register`]) plus calls to
/// [`invalidate`].
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Whether the atfork handler is installed.
static INSTALLED: AtomicBool = AtomicBool::new(false);
static REGISTER: std::sync::Once = std::sync::Once::new();

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    // Async-signal-safe: a single atomic read-modify-write, no allocation, no lock.
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Installs the fork handler (once per process; later calls only read) and returns
/// the current [`generation`]: stamp state with it when you create the state.
pub fn register() -> u64 {
    REGISTER.call_once(|| {
        #[cfg(unix)]
        {
            // SAFETY: `pthread_atfork` is given one handler, a plain `extern "C" fn`
            // with no arguments that lives for the whole program (it is a static
            // function) and only increments an atomic; no prepare or parent handler.
            let rc = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
            INSTALLED.store(rc == 0, Ordering::Relaxed);
        }
        #[cfg(not(unix))]
        INSTALLED.store(true, Ordering::Relaxed);
    });
    generation()
}

/// The process's fork generation: it differs from a value read before a `fork()` in
/// the child (never in the parent), and after [`invalidate`]. One relaxed atomic load
/// (two with the check of the handler) once [`register`] has succeeded.
#[inline]
pub fn generation() -> u64 {
    let g = GENERATION.load(Ordering::Relaxed);
    if INSTALLED.load(Ordering::Relaxed) {
        g
    } else {
        // No handler (not registered yet, or `pthread_atfork` failed): the process id
        // tells a child from its parent. Tagged with the top bit so the two kinds of
        // value never compare equal.
        g.wrapping_add(u64::from(std::process::id()) << 32) | 1 << 63
    }
}

/// Changes the generation by hand: call it in a process restored from a snapshot (of
/// the process or of its virtual machine) before it seals again, so state stamped
/// before the snapshot is discarded as after a fork.
pub fn invalidate() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidate_changes_the_generation_and_register_is_idempotent() {
        let born = register();
        assert_eq!(register(), born);
        assert_eq!(generation(), born);
        invalidate();
        assert_ne!(generation(), born);
    }
}
