//! Heap bytes per cached subject and per extra cached data key, measured with a
//! counting global allocator (the figures in `docs/performance.md`). Run with
//! `cargo test --test cache_memory -- --nocapture` to see them. Alone in its binary so
//! that no other test allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use custodian::categories::Communications;
use custodian::keys::LocalMasterKey;
use custodian::memory::MemoryKeyStore;
use custodian::{Context, Personal, Retention, SubjectId, Vault};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

const SUBJECTS: usize = 4096;

/// Heap bytes left live after sealing one value for each of `SUBJECTS` subjects into
/// each of `contexts`, on a vault caching at most `capacity` subjects.
fn heap_after_sealing(capacity: usize, contexts: &[Context<Communications>]) -> isize {
    let vault = Vault::builder(
        LocalMasterKey::from_slice("m", &[1; 32]).unwrap(),
        MemoryKeyStore::new(),
    )
    .cache_capacity(capacity)
    .build();
    // Warm every one-time allocation (epoch keys, the thread's front) first.
    let warm = SubjectId::new("warm").unwrap();
    for ctx in contexts {
        vault
            .seal(&Personal::new(warm.clone(), vec![0u8; 64]), ctx)
            .unwrap();
    }
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..SUBJECTS {
        let subject = SubjectId::new(format!("cus_{i:08}")).unwrap();
        for ctx in contexts {
            vault
                .seal(&Personal::new(subject.clone(), vec![0u8; 64]), ctx)
                .unwrap();
        }
    }
    let grown = LIVE.load(Ordering::Relaxed) - before;
    drop(vault);
    grown
}

#[test]
fn heap_per_cached_subject_and_per_extra_data_key() {
    let kept = Context::new("ticket", "body")
        .unwrap()
        .retain(Retention::UntilErased);
    let day = |d| {
        Context::new("ticket", "body")
            .unwrap()
            .retain(Retention::Days(d))
    };
    // The key store grows the same in both runs; the difference is the cache.
    let one_key = (heap_after_sealing(SUBJECTS + 1, std::slice::from_ref(&kept))
        - heap_after_sealing(1, std::slice::from_ref(&kept))) as f64
        / SUBJECTS as f64;
    let three = [kept, day(30), day(365)];
    let three_keys = (heap_after_sealing(SUBJECTS + 1, &three) - heap_after_sealing(1, &three))
        as f64
        / SUBJECTS as f64;
    let per_extra_key = (three_keys - one_key) / 2.0;
    println!(
        "heap per cached subject with one data key: {one_key:.0} B; per further data key (another expiry day or key version): {per_extra_key:.0} B; size_of LessSafeKey: {} B",
        std::mem::size_of::<ring::aead::LessSafeKey>()
    );
    // Guards against a regression that would change the sizing advice in the docs.
    assert!(one_key > 500.0 && one_key < 1500.0, "{one_key}");
    assert!(
        per_extra_key > 400.0 && per_extra_key < 1200.0,
        "{per_extra_key}"
    );
}
