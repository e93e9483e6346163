//! Plaintext left in freed heap by `seal` and `open` of `Json<T>` values. A scanning
//! global allocator looks for a marker in every block freed (or moved by `realloc`)
//! while one call runs. Test code may use `unsafe`: the allocator needs it.
//!
//! The allocator zeroes every block it frees, measured or not. Without that, a block
//! the test itself freed unwiped (the `format!` temporaries that build the marked
//! strings) could be handed out again, to any thread, as spare capacity that its new
//! owner never writes; freed later during a measurement, it would count that stale
//! marker as custodian's. With it, a marker found in a freed block was written there
//! during that block's life.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::{Access, Actor, Context, Json, Personal, SubjectId, Vault};

const MARK: &[u8] = b"QZXMARKERQZX";

static ARMED: AtomicBool = AtomicBool::new(false);
static HITS: AtomicUsize = AtomicUsize::new(0);
/// One measurement at a time: the allocator is process-wide.
static ONE: Mutex<()> = Mutex::new(());

struct Scan;

/// Counts `p` if it holds the marker while a measurement runs, then zeroes it.
fn scan_and_wipe(p: *mut u8, n: usize) {
    if ARMED.load(Ordering::Relaxed) && n >= MARK.len() {
        // SAFETY: `p` is a live allocation of `n` bytes, about to be freed or moved.
        let s = unsafe { std::slice::from_raw_parts(p, n) };
        if s.windows(MARK.len()).any(|w| w == MARK) {
            HITS.fetch_add(1, Ordering::Relaxed);
        }
    }
    // SAFETY: as above; nothing reads the block after this but the allocator.
    unsafe { std::ptr::write_bytes(p, 0, n) };
}

// SAFETY: forwards to `System`; `realloc` is alloc + copy + dealloc so the old block can
// be scanned and wiped before it is freed.
unsafe impl GlobalAlloc for Scan {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        scan_and_wipe(p, l.size());
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.alloc(Layout::from_size_align_unchecked(new, l.align())) };
        if !q.is_null() {
            unsafe { std::ptr::copy_nonoverlapping(p, q, l.size().min(new)) };
            scan_and_wipe(p, l.size());
            unsafe { System.dealloc(p, l) };
        }
        q
    }
}

#[global_allocator]
static A: Scan = Scan;

custodian::purpose! {
    pub struct Billing { basis: Contract, description: "Billing.", uses: [Email] }
}

/// Freed blocks holding the marker while `f` runs.
fn freed_with_marker<R>(f: impl FnOnce() -> R) -> (R, usize) {
    HITS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    let r = f();
    ARMED.store(false, Ordering::SeqCst);
    (r, HITS.load(Ordering::SeqCst))
}

fn marked(escaped: bool) -> String {
    let mark = std::str::from_utf8(MARK).unwrap();
    let mut s = String::new();
    for i in 0..200 {
        if escaped {
            s.push_str(&format!("line \"{mark}\" {i}\n"));
        } else {
            s.push_str(&format!("line {mark} {i} "));
        }
    }
    s
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Profile {
    notes: String,
    tags: Vec<String>,
}

/// (seal, open) counts for a `Json<Profile>` whose strings need escapes or not.
fn seal_and_open(escaped: bool) -> (usize, usize) {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let vault = Vault::in_memory(LocalMasterKey::generate("k").unwrap());
    let id = SubjectId::new("cus_1").unwrap();
    let access = Access::<Billing>::new(id.clone(), Actor::service("x"));
    let ctx: Context<Email> = Context::new("c", "j")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    let warm = Personal::<String, Email>::new(id.clone(), "w".into());
    vault.seal(&warm, &ctx).unwrap();
    let value = Personal::<Json<Profile>, Email>::new(
        id,
        Json(Profile {
            notes: marked(escaped),
            tags: (0..20).map(|_| marked(escaped)).collect(),
        }),
    );
    let (sealed, seal) = freed_with_marker(|| vault.seal(&value, &ctx).unwrap());
    let (opened, open) = freed_with_marker(|| vault.open(&sealed, &ctx, &access).unwrap());
    // `Json<T>` wipes only what `T`'s own `Drop` wipes: not measured here.
    std::mem::forget((value, opened));
    (seal, open)
}

#[test]
fn sealing_json_leaves_no_plaintext_in_freed_heap() {
    assert_eq!(seal_and_open(false).0, 0, "strings without escapes");
    assert_eq!(seal_and_open(true).0, 0, "strings with escapes");
}

#[test]
fn opening_json_without_escapes_leaves_no_plaintext_in_freed_heap() {
    assert_eq!(seal_and_open(false).1, 0);
}

/// Residual (`docs/crypto.md`, "Zeroization"): serde_json unescapes a string holding
/// `"`, `\\` or a control character into its own scratch `Vec`, which grows by doubling
/// and is freed unwiped; no API reaches it. What it leaves is bounded by that growth:
/// one freed block per doubling up to the longest unescaped string, and the last one.
/// More than that would be a leak of custodian's own.
#[test]
fn opening_json_with_escapes_leaves_no_more_than_serde_jsons_unescape_scratch() {
    // Built and freed under the lock: a marked string freed while another test's
    // measurement is armed would count there.
    let longest = {
        let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
        marked(true).len()
    };
    let doublings = (usize::BITS - longest.leading_zeros()) as usize;
    let open = seal_and_open(true).1;
    assert!(
        open <= doublings + 1,
        "{open} freed blocks held plaintext; serde_json's scratch accounts for at most {}",
        doublings + 1
    );
}
