//! A real `fork()`: the child inherits the parent's vault, key cache and this thread's
//! front (with its reserved block of nonces), and must never seal with a nonce the
//! parent uses under the same key.
//!
//! One test in this file, so the process is single-threaded (but for the harness's
//! main thread, which waits) when it forks.
#![cfg(unix)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;

use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::{Access, Actor, Context, Personal, Sealed, SubjectId, Vault};

custodian::purpose! {
    pub struct Crm { basis: Contract, description: "Serve your account.", uses: [Email] }
}

const SEALS: usize = 64;

fn ctx() -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased)
}

fn seal(v: &Vault, s: &SubjectId) -> Option<Vec<u8>> {
    let p = Personal::<String, Email>::new(s.clone(), "a@example.com".into());
    v.seal(&p, &ctx()).ok().map(Sealed::into_bytes)
}

fn nonce(bytes: &[u8]) -> [u8; 12] {
    let sealed = Sealed::<String, Email>::from_bytes(bytes.to_vec()).unwrap();
    sealed.header().unwrap().nonce
}

/// The child's work: seal on this (the forking) thread, whose front holds the parent's
/// key and block, and on a new thread, which goes through the shared cache. Writes each
/// sealed value, length-prefixed, to `out`.
fn child(v: &Vault, s: &SubjectId, out: &mut std::fs::File) -> Option<()> {
    let mut sealed: Vec<Vec<u8>> = (0..SEALS).map(|_| seal(v, s)).collect::<Option<_>>()?;
    let other: Vec<Vec<u8>> = std::thread::scope(|scope| {
        scope
            .spawn(|| (0..SEALS).map(|_| seal(v, s)).collect::<Option<_>>())
            .join()
            .ok()
            .flatten()
    })?;
    sealed.extend(other);
    for bytes in sealed {
        out.write_all(&u32::try_from(bytes.len()).ok()?.to_be_bytes())
            .ok()?;
        out.write_all(&bytes).ok()?;
    }
    Some(())
}

#[test]
fn a_forked_child_never_reuses_a_nonce_of_its_parent() {
    let vault = Vault::in_memory(LocalMasterKey::from_slice("m1", &[1; 32]).unwrap());
    let s = SubjectId::new("cus_1").unwrap();
    // Warm the cache and this thread's front: the child inherits both.
    let mut parent: Vec<Vec<u8>> = (0..8).map(|_| seal(&vault, &s).unwrap()).collect();

    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two descriptors for `pipe` to fill.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fork in a test process; the child only seals, writes to its pipe and
    // leaves with `_exit`, never returning into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: the write end belongs to this process now; the read end is closed.
        let code = unsafe {
            libc::close(fds[0]);
            let mut out = std::fs::File::from_raw_fd(fds[1]);
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                child(&vault, &s, &mut out)
            }));
            drop(out);
            match ok {
                Ok(Some(())) => 0,
                Ok(None) => 2,
                Err(_) => 3,
            }
        };
        // SAFETY: ends the child without running the harness or destructors twice.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: the parent keeps only the read end.
    let mut input = unsafe {
        libc::close(fds[1]);
        std::fs::File::from_raw_fd(fds[0])
    };
    // The parent goes on sealing with its own (inherited by the child) state.
    parent.extend((0..SEALS).map(|_| seal(&vault, &s).unwrap()));
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).unwrap();
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed to seal (status {status})"
    );

    let mut from_child = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let (len, tail) = rest.split_at(4);
        let len = u32::from_be_bytes(len.try_into().unwrap()) as usize;
        from_child.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    assert_eq!(from_child.len(), 2 * SEALS);

    let parent_nonces: HashSet<[u8; 12]> = parent.iter().map(|b| nonce(b)).collect();
    assert_eq!(parent_nonces.len(), parent.len());
    let mut child_nonces = HashSet::new();
    let access = Access::<Crm>::new(s.clone(), Actor::service("tests"));
    for sealed in &from_child {
        let sealed = Sealed::<String, Email>::from_bytes(sealed.clone()).unwrap();
        let h = sealed.header().unwrap();
        assert_eq!(
            h.key_version, 1,
            "the same subject key, so the same data key"
        );
        assert!(
            !parent_nonces.contains(&h.nonce),
            "the child reused a nonce of its parent under the same key"
        );
        assert!(child_nonces.insert(h.nonce), "the child repeated a nonce");
        // The child's values are sound: the parent opens them.
        let opened = vault.open(&sealed, &ctx(), &access).unwrap();
        assert_eq!(opened.read(&access).unwrap(), "a@example.com");
    }
}
