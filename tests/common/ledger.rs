//! The consent ledger fixture of `consent.rs`: purposes with the `promo` notice
//! registered for them, evidence, and ledgers on both stores.

use chrono::{DateTime, Utc};
use custodian::categories::{Email, Phone};
use custodian::consent::{
    Channel, ConsentLedger, ConsentMethod, Evidence, MemoryConsentStore, Notice,
};
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;

use super::consent::{key, t0};

custodian::purpose! {
    /// Consent purpose, any notice version.
    pub struct Promo { basis: Consent, description: "Offers by email.", uses: [Email] }
    /// Consent purpose whose declaration already requires notice version 2.
    pub struct Survey {
        basis: Consent,
        min_notice_version: 2,
        description: "Ask your opinion.",
        uses: [Email],
    }
    /// Consent purpose using email and phone.
    pub struct Calls { basis: Consent, description: "Call you with offers.", uses: [Email, Phone] }
    /// A contract purpose that also uses email.
    pub struct Receipts { basis: Contract, description: "Send receipts.", uses: [Email] }
}

pub fn text(version: u32) -> String {
    format!("Email me offers (v{version})")
}

/// Registers the `promo` notice, versions 1 to 5, for the test purposes.
pub fn register(ledger: &ConsentLedger) {
    for v in 1..=5 {
        ledger
            .register_notice::<Promo>("promo", v, &text(v))
            .unwrap();
        ledger
            .register_notice::<Survey>("promo", v, &text(v))
            .unwrap();
        ledger
            .register_notice::<Calls>("promo", v, &text(v))
            .unwrap();
    }
}

pub fn sqlite_ledger(path: &std::path::Path) -> ConsentLedger {
    ConsentLedger::new(SqliteStore::open(path).unwrap(), key()).unwrap()
}

/// A memory ledger on a manual clock at `t0()`, with the notices registered.
pub fn memory() -> (ConsentLedger, ManualClock) {
    let clock = ManualClock::new(t0());
    let ledger = ConsentLedger::in_memory().with_clock(clock.clone());
    register(&ledger);
    (ledger, clock)
}

pub fn evidence(version: u32) -> Evidence {
    Evidence::new(
        Notice::new("promo", version, &text(version)),
        ConsentMethod::TickedCheckbox,
        Channel::Web,
    )
}

/// Both stores, on a clock at `now`, with the notices registered.
pub fn ledgers(dir: &tempfile::TempDir, now: DateTime<Utc>) -> Vec<(ConsentLedger, ManualClock)> {
    let clock = ManualClock::new(now);
    let all = vec![
        ConsentLedger::new(MemoryConsentStore::new(), key())
            .unwrap()
            .with_clock(clock.clone()),
        sqlite_ledger(&dir.path().join("custodian.db")).with_clock(clock.clone()),
    ];
    all.into_iter()
        .map(|l| {
            register(&l);
            (l, clock.clone())
        })
        .collect()
}
