//! The main job, start to end, on the embedded default store (a SQLite file).
//!
//! `cargo run --example quickstart`

use chrono::{Duration, Utc};
use custodian::audit::{AuditTrail, HistoryActor};
use custodian::categories::{Communications, Email, Name};
use custodian::consent::{Channel, ConsentLedger, ConsentMethod, Evidence, EvidenceKey};
use custodian::keys::LocalMasterKey;
use custodian::retention::{HoldScope, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{
    Access, Actor, Context, Personal, PersonalData, Retention, SubjectId, Vault, VaultError,
};

custodian::purpose! {
    /// Invoicing: necessary to perform the contract, so no consent is needed.
    pub struct Billing {
        name: "billing",
        basis: Contract,
        description: "Send invoices for the orders you place.",
        uses: [Name, Email],
    }
    /// Marketing email: only with the customer's consent.
    pub struct Marketing {
        name: "marketing",
        basis: Consent,
        description: "Email you offers, if you asked for them.",
        uses: [Email],
    }
    /// Answering support requests.
    pub struct Support {
        name: "support",
        basis: Contract,
        description: "Answer your support requests.",
        uses: [Communications],
    }
    /// Defending a dispute: what a legal hold keeps data for, and nothing else.
    pub struct LegalClaims {
        name: "legal-claims",
        basis: LegitimateInterests,
        description: "Establish, exercise or defend legal claims.",
        uses: [Name, Email, Communications],
    }
}

/// The customer record: the derive writes `SealedCustomer`, `seal`, `open` and the
/// field inventory.
#[derive(PersonalData)]
#[personal(record = "customer")]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(retain = "until_erased")]
    pub name: Personal<String, Name>,
    #[personal(retain = "2y")]
    pub email: Personal<String, Email>,
    pub plan: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("custodian-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("custodian.db");
    // One file keeps the example short. In production give the vault a file of its own,
    // backed up apart and kept for days, and the ledger and trail another (the crate
    // docs, "Keys apart from evidence"): otherwise every backup of the years-long
    // evidence also holds the keys that erasure destroys.
    let store = SqliteStore::open(&path)?;
    println!("Opened the embedded store at {}", path.display());
    // The consent evidence is chained under its own key: from your secret manager in
    // production (`EvidenceKey::from_slice`), generated here.
    // In production the master key comes from your secret manager or KMS, and the
    // clock is the system clock (the default). This one is moved by hand below, so the
    // example does not wait a month to show retention.
    let clock = ManualClock::new(Utc::now());
    let ledger =
        ConsentLedger::new(store.clone(), EvidenceKey::generate()?)?.with_clock(clock.clone());
    // Every opening, hold and erasure is recorded in a tamper-evident trail (same file).
    let trail = std::sync::Arc::new(AuditTrail::new(store.clone())?);
    let vault = Vault::builder(LocalMasterKey::generate("quickstart-kek")?, store)
        .clock(clock.clone())
        .record::<Customer>()
        .audit(std::sync::Arc::clone(&trail))
        // Erasure ends the customer's consents in this ledger too.
        .consent(ledger.eraser())
        .build();
    // Erasure, holds and sweeps are on an operator handle, audited as its actor's.
    let dpo = vault.operator(Actor::staff("emp-7", "privacy-officer"));

    let alice = SubjectId::new("cus_0001")?;
    let name: Personal<String, Name> = Personal::new(alice.clone(), "Alice Example".into());
    let email: Personal<String, Email> = Personal::new(alice.clone(), "alice@example.com".into());
    println!(
        "Collected a name and an email for customer {alice}; printed, they look like {email:?}"
    );

    // 1. Billing rests on the contract: the invoicer may read name and email.
    let billing = Access::<Billing>::new(alice.clone(), Actor::service("invoicer"));
    println!(
        "Billing (contract): the invoicer reads the name ({} characters) and the email: allowed",
        name.read(&billing)?.chars().count()
    );
    let _ = email.read(&billing)?;

    // 2. Marketing rests on consent: refused until the customer gives it.
    let now = ledger.now();
    let mailer = || Actor::service("newsletter-sender");
    match ledger.access::<Marketing>(&alice, mailer()) {
        Ok(_) => println!("Marketing before consent: allowed (this is a bug)"),
        Err(e) => println!("Marketing before consent: refused, because {e}"),
    }

    // 3. The customer ticks the (unticked) box under the notice: evidence is recorded.
    // The notice's exact text is registered for the purpose first (kept in the ledger).
    let notice = ledger.register_notice::<Marketing>(
        "marketing-signup",
        1,
        "Email me offers. I can unsubscribe at any time.",
    )?;
    let evidence = Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web)
        .expires_at(now + Duration::days(365));
    ledger.give::<Marketing>(&alice, evidence)?;
    let marketing = ledger.access::<Marketing>(&alice, mailer())?;
    let domain = email.map(&marketing, |e| e.rsplit('@').next().map(str::to_owned))?;
    println!(
        "Marketing after consent: allowed; the mailer reads the email (domain {})",
        domain.as_deref().unwrap_or("?")
    );

    // 4. One click on "unsubscribe": withdrawn, and refused again.
    clock.advance(Duration::minutes(1));
    ledger.withdraw::<Marketing>(&alice, Actor::data_subject(), Channel::Email)?;
    match ledger.access::<Marketing>(&alice, mailer()) {
        Ok(_) => println!("Marketing after withdrawal: allowed (this is a bug)"),
        Err(e) => println!("Marketing after withdrawal: refused, because {e}"),
    }

    // 5. The evidence stays, append-only, for the customer or a regulator.
    println!("Consent history kept for {alice}:");
    for event in ledger.history(&alice)? {
        println!("  {}", serde_json::to_string(&event)?);
    }

    // 6. Storing the customer: each personal field is sealed under Alice's own key.
    let customer = Customer {
        id: alice.clone(),
        name,
        email,
        plan: "gold".into(),
    };
    println!("The customer, printed for a log: {customer:?}");
    let row: SealedCustomer = customer.seal(&vault)?;
    let stored = serde_json::to_string(&row)?;
    println!("Stored row (what your database and its backups hold): {stored}");
    assert!(!stored.contains("alice@example.com") && !stored.contains("Alice Example"));

    // 7. Reading it back for a lawful purpose.
    let row: SealedCustomer = serde_json::from_str(&stored)?;
    let opened = row.open(&vault, &billing)?;
    println!(
        "Billing opens the stored record: the email has {} characters, same as collected: {}",
        opened.email.read(&billing)?.len(),
        opened.email.read(&billing)? == customer.email.read(&billing)?
    );
    println!("Personal fields the record declares (for the privacy notice and exports):");
    for field in Customer::FIELDS {
        let kept = field
            .retention
            .map_or("category default".to_owned(), |r| r.to_string());
        println!(
            "  {} ({}), kept {kept}",
            field.name, field.category.description
        );
    }

    // 8. Retention: a support message is kept 30 days, then its key is destroyed.
    let support = Access::<Support>::new(alice.clone(), Actor::service("helpdesk"));
    let chat_ctx = Context::new("ticket", "message")?.retain(Retention::Days(30));
    let chat: Personal<String, Communications> =
        Personal::new(alice.clone(), "My parcel did not arrive".into());
    let chat = vault.seal(&chat, &chat_ctx)?;
    clock.advance(Duration::days(31));
    match vault.open(&chat, &chat_ctx, &support) {
        Err(e @ VaultError::Expired { .. }) => {
            println!("31 days later, the support message: refused, because {e}")
        }
        Err(e) => return Err(e.into()),
        Ok(_) => println!("31 days later, the support message: opened (this is a bug)"),
    }
    let swept = dpo.sweep()?;
    println!(
        "The daily sweep destroyed {} day key(s): the message's sealed content is now unreadable \
         wherever it was copied, once no key-store backup from before the sweep remains",
        swept.epochs_destroyed.len()
    );

    // 9. Alice makes an access request (GDPR Art. 15). Part of the answer: when her data
    // was consulted and for which purpose. Staff appear by role, not by id (CJEU
    // C-579/21); the copy of her data and the Art. 15(1) information are the
    // application's to add.
    println!("History of {alice}'s data, as shown to her:");
    for e in vault.access_history(&alice)? {
        let by = match e.actor {
            Some(HistoryActor::Service { name }) => format!("service {name}"),
            Some(HistoryActor::Staff { role }) => {
                format!("staff ({})", role.unwrap_or_default())
            }
            Some(HistoryActor::DataSubject) => "herself".to_owned(),
            Some(_) | None => "-".to_owned(),
        };
        println!(
            "  {} {:?} by {by} for {} on {}.{}: {:?}",
            e.at.format("%Y-%m-%d %H:%M"),
            e.kind,
            e.purpose.unwrap_or_default(),
            e.record.unwrap_or_default(),
            e.field.unwrap_or_default(),
            e.outcome
        );
    }

    // 10. A legal hold keeps Alice's messages for the dispute, and only for it (GDPR
    // Art. 18(2)): past their retention, support may no longer read them, the lawyers
    // may. It also blocks erasure until it is released.
    let hold = dpo.hold_scoped(
        &alice,
        HoldScope::purpose::<LegalClaims>().only::<Communications>(),
        "case 2027-14: payment dispute",
        None,
    )?;
    let complaint = Personal::new(alice.clone(), "The parcel was empty".to_owned());
    let complaint = vault.seal(&complaint, &chat_ctx)?;
    clock.advance(Duration::days(31));
    dpo.sweep()?;
    match vault.open(&complaint, &chat_ctx, &support) {
        Err(e @ VaultError::RestrictedByHold { .. }) => {
            println!("Under the hold, support reads the expired complaint: refused, because {e}")
        }
        Err(e) => return Err(e.into()),
        Ok(_) => {
            println!("Under the hold, support reads the expired complaint: allowed (this is a bug)")
        }
    }
    let lawyer = Access::<LegalClaims>::new(alice.clone(), Actor::staff("emp-12", "counsel"));
    println!(
        "Under the hold, counsel reads the expired complaint ({} characters): allowed",
        vault
            .open(&complaint, &chat_ctx, &lawyer)?
            .read(&lawyer)?
            .len()
    );
    match dpo.erase(&alice) {
        Err(e @ VaultError::UnderLegalHold { .. }) => println!("Erasure: refused, because {e}"),
        Err(e) => return Err(e.into()),
        Ok(_) => println!("Erasure under hold: done (this is a bug)"),
    }
    dpo.release(&hold.id)?;

    // 11. Erasure destroys Alice's keys: the sealed contents of her fields become
    // unreadable in every copy (once no key-store backup still holds the keys). Her
    // subject id, the plain `plan` field, dates, the kept consent and hold evidence
    // remain: delete those rows yourself. The receipt names her by a keyed reference,
    // which is pseudonymous, so still personal data.
    let receipt = dpo.erase(&alice)?;
    println!(
        "Erased the keys. Receipt (pseudonymous; keep it apart, to replay erasures after a \
         restore): {}",
        serde_json::to_string(&receipt)?
    );
    match row.open_email(&vault, &billing) {
        Err(e @ VaultError::Shredded) => {
            println!("Opening the stored email again: refused, because {e}")
        }
        Err(e) => return Err(e.into()),
        Ok(_) => println!("Opening the stored email again: allowed (this is a bug)"),
    }

    match ledger.check::<Marketing>(&alice) {
        Err(e) => println!("Consent after erasure: refused, because {e}"),
        Ok(()) => println!("Consent after erasure: in force (this is a bug)"),
    }

    // 12. After erasure the vault can no longer compute Alice's pseudonyms, so it finds
    // none of her events; the trail is untouched and still verifies.
    println!(
        "History of {alice} after erasure: {} events found; the trail verifies: {} entries",
        vault.access_history(&alice)?.len(),
        trail.verify(None)?.entries
    );

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
