//! The derive's hidden path (`custodian::__private::v1`) holds the checks the public
//! API holds: a field context is built through `Context::new`'s checks, so names it
//! refuses are refused at every seal and open (never a panic), and the collection time
//! is the vault's (`tests/ui/private_seal_cannot_pick_collection_time.rs`).

use custodian::__private::v1;
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::{Access, Actor, Personal, Retention, SubjectId, Vault};

custodian::purpose! {
    pub struct Support { name: "support", basis: LegitimateInterests, description: "Support.", uses: [Email] }
}

#[test]
fn private_context_with_bad_names_is_refused_without_panic() {
    let vault = Vault::in_memory(LocalMasterKey::generate("k").unwrap());
    let alice = SubjectId::new("cus_1").unwrap();
    let long: &'static str = Box::leak("r".repeat(70_000).into_boxed_str());
    let good = v1::context::<Email>("customer", "email", Some(Retention::Days(30)));
    let sealed = v1::seal(
        &vault,
        &alice,
        &Personal::new(alice.clone(), "a@x".to_string()),
        &good,
        v1::collected_now(&vault),
    )
    .unwrap();
    for (rec, field) in [
        ("", "email"),
        ("customer", ""),
        (long, "email"),
        ("customer", long),
    ] {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let c = v1::context::<Email>(rec, field, Some(Retention::Days(30)));
            let p = Personal::new(alice.clone(), "a@x".to_string());
            let seal = v1::seal(&vault, &alice, &p, &c, v1::collected_now(&vault));
            let a = Access::<Support>::new(alice.clone(), Actor::service("s"));
            let open = v1::open(&vault, &alice, &sealed, &c, &a);
            (
                seal.err().map(|e| e.kind().code()),
                open.err().map(|e| e.kind().code()),
            )
        }));
        let (seal, open) = outcome.unwrap_or_else(|_| panic!("panicked on {} bytes", rec.len()));
        assert_eq!(
            seal,
            Some("internal"),
            "sealed with record of {} bytes",
            rec.len()
        );
        assert!(open.is_some(), "opened with record of {} bytes", rec.len());
    }
}
