//! Unit tests of the vault that reach inside its key hierarchy.

use super::*;
use crate::categories::Email;
use crate::keys::LocalMasterKey;

#[test]
fn a_used_up_nonce_prefix_is_retired_and_the_key_reloaded() {
    let vault = Vault::in_memory(LocalMasterKey::from_slice("m", &[1; 32]).unwrap());
    let s = SubjectId::new("cus_1").unwrap();
    let ctx: Context<Email> = Context::new("customer", "email")
        .unwrap()
        .retain(Retention::UntilErased);
    let p: Personal<String, Email> = Personal::new(s.clone(), "a@example.com".into());
    let before = vault.seal(&p, &ctx).unwrap();
    vault.keys.cache().exhaust(s.as_str());
    let after = vault.seal(&p, &ctx).unwrap();
    let (b, a) = (before.header().unwrap(), after.header().unwrap());
    assert_eq!(b.key_version, a.key_version);
    assert_ne!(
        b.nonce[..8],
        a.nonce[..8],
        "a fresh prefix after the reload"
    );
    let access = crate::Access::<Crm>::new(s, crate::Actor::service("t"));
    assert_eq!(
        vault
            .open(&after, &ctx, &access)
            .unwrap()
            .read(&access)
            .unwrap(),
        "a@example.com"
    );
}

#[test]
fn the_epoch_key_memo_never_moves_a_kept_key_when_it_grows_or_shrinks() {
    use crate::retention::{ManualClock, Retention};
    let start = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let vault = Vault::builder(
        LocalMasterKey::from_slice("m", &[1; 32]).unwrap(),
        MemoryKeyStore::new(),
    )
    .clock(clock.clone())
    .build();
    let s = SubjectId::new("cus_1").unwrap();
    let p: Personal<String, Email> = Personal::new(s, "a@example.com".into());
    let seal_for = |days| {
        let ctx: Context<Email> = Context::new("customer", "email")
            .unwrap()
            .retain(Retention::UntilErased);
        vault.seal(&p, &ctx.retain(Retention::Days(days))).unwrap();
    };
    // Where the memo keeps the key of the `i`-th epoch loaded.
    let address = |i: usize| {
        let kept = vault.keys.epoch_keys().lock().unwrap();
        let key: &[u8; 32] = &kept[i].2;
        key.as_ptr() as usize
    };
    (1..=20).for_each(seal_for);
    let before = address(19);
    // Growth reallocates the memo; a sweep shifts what is left to the front.
    (21..=200).for_each(seal_for);
    clock.advance(chrono::TimeDelta::days(10));
    vault
        .operator(crate::Actor::service("sweeper"))
        .sweep()
        .unwrap();
    let kept = vault.keys.epoch_keys().lock().unwrap().len();
    assert!(kept < 200, "the sweep forgot the destroyed days");
    assert_eq!(
        address(19 - (200 - kept)),
        before,
        "the key was moved (copied)"
    );
}

crate::purpose! {
    struct Crm { basis: Contract, description: "Serve the account.", uses: [Email] }
}
