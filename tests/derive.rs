//! `#[derive(PersonalData)]` on a realistic customer record.

#[allow(dead_code)]
mod common;

use common::sid;

use chrono::NaiveDate;
use custodian::categories::{DateOfBirth, Email, Name, PaymentCard, Phone, PostalAddress};
use custodian::keys::LocalMasterKey;
use custodian::{
    Access, Actor, Category, Personal, PersonalData, Retention, SubjectId, Vault, VaultError,
};

custodian::purpose! {
    /// Everything needed to serve the account.
    pub struct AccountService {
        basis: Contract,
        description: "Run your account.",
        uses: [Name, Email, Phone, PostalAddress, DateOfBirth, PaymentCard],
    }
    /// Sending receipts: the email only.
    pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] }
}

#[derive(PersonalData)]
#[personal(record = "customer")]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(retain = "until_erased")]
    pub name: Personal<String, Name>,
    #[personal(retain = "6m", rename = "email_address")]
    pub email: Personal<String, Email>,
    #[personal(retain = "2y")]
    pub phone: Option<Personal<String, Phone>>,
    #[personal(retain = "7y")]
    pub address: Personal<String, PostalAddress>,
    #[personal(retain = "10y from end of year +01:00")]
    pub born: Personal<NaiveDate, DateOfBirth>,
    #[personal(retain = "30d")]
    pub card: Personal<String, PaymentCard>,
    pub plan: String,
    pub loyalty_points: u32,
}

fn customer(id: &str, name: &str, phone: Option<&str>) -> Customer {
    let s = sid(id);
    Customer {
        id: s.clone(),
        name: Personal::new(s.clone(), name.into()),
        email: Personal::new(s.clone(), format!("{}@example.com", name.to_lowercase())),
        phone: phone.map(|p| Personal::new(s.clone(), p.into())),
        address: Personal::new(s.clone(), "1 Quiet Lane, Springfield".into()),
        born: Personal::new(s.clone(), NaiveDate::from_ymd_opt(1984, 2, 29).unwrap()),
        card: Personal::new(s.clone(), "4111111111111111".into()),
        plan: "gold".into(),
        loyalty_points: 420,
    }
}

fn vault() -> Vault {
    Vault::in_memory(LocalMasterKey::generate("kek").unwrap())
}

const PLAINTEXTS: [&str; 6] = [
    "Alice",
    "alice@example.com",
    "+15550100",
    "Quiet Lane",
    "4111111111111111",
    "1984",
];

#[test]
fn round_trip_and_per_field_open() {
    let v = vault();
    let alice = customer("cus_alice", "Alice", Some("+15550100"));
    let sealed: SealedCustomer = alice.seal(&v).unwrap();
    assert_eq!(sealed.plan, "gold");
    assert_eq!(sealed.loyalty_points, 420);

    let all = Access::<AccountService>::new(alice.id.clone(), Actor::service("crm"));
    let opened = sealed.open(&v, &all).unwrap();
    assert_eq!(opened.name.read(&all).unwrap(), "Alice");
    assert_eq!(opened.email.read(&all).unwrap(), "alice@example.com");
    assert_eq!(
        opened.phone.as_ref().unwrap().read(&all).unwrap(),
        "+15550100"
    );
    assert_eq!(
        opened.address.read(&all).unwrap(),
        "1 Quiet Lane, Springfield"
    );
    assert_eq!(
        *opened.born.read(&all).unwrap(),
        NaiveDate::from_ymd_opt(1984, 2, 29).unwrap()
    );
    assert_eq!(opened.card.read(&all).unwrap(), "4111111111111111");
    assert_eq!(opened.plan, "gold");

    // Data minimisation: Receipts may open the email, and only the email.
    let receipts = Access::<Receipts>::new(alice.id.clone(), Actor::service("mailer"));
    let email = sealed.open_email(&v, &receipts).unwrap();
    assert_eq!(email.read(&receipts).unwrap(), "alice@example.com");

    // An absent optional field stays absent.
    let bob = customer("cus_bob", "Bob", None);
    let bob_sealed = bob.seal(&v).unwrap();
    assert!(bob_sealed.phone.is_none());
    let bob_all = Access::<AccountService>::new(bob.id.clone(), Actor::service("crm"));
    assert!(bob_sealed.open_phone(&v, &bob_all).unwrap().is_none());
}

#[test]
fn inventory_lists_every_personal_field() {
    assert_eq!(Customer::RECORD, "customer");
    let fields: Vec<_> = Customer::FIELDS
        .iter()
        .map(|f| (f.name, f.category.name, f.retention, f.optional))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("name", Name::NAME, Some(Retention::UntilErased), false),
            (
                "email_address",
                Email::NAME,
                Some(Retention::Months(6)),
                false
            ),
            ("phone", Phone::NAME, Some(Retention::Years(2)), true),
            (
                "address",
                PostalAddress::NAME,
                Some(Retention::Years(7)),
                false
            ),
            (
                "born",
                DateOfBirth::NAME,
                Some(Retention::YearsFromEndOfYear {
                    years: 10,
                    utc_offset_minutes: 60
                }),
                false
            ),
            ("card", PaymentCard::NAME, Some(Retention::Days(30)), false),
        ]
    );
}

#[test]
fn stored_json_and_debug_hold_no_plaintext() {
    let v = vault();
    let alice = customer("cus_alice", "Alice", Some("+15550100"));
    let json = serde_json::to_string(&alice.seal(&v).unwrap()).unwrap();
    let debug = format!("{alice:?} {:?}", alice.seal(&v).unwrap());
    for secret in PLAINTEXTS {
        assert!(!json.contains(secret), "JSON leaks {secret}: {json}");
        assert!(!debug.contains(secret), "Debug leaks {secret}: {debug}");
    }
    assert!(
        json.contains("\"plan\":\"gold\""),
        "plain fields pass through: {json}"
    );
    assert!(
        debug.contains("Personal<user.contact.email>(<redacted>)"),
        "{debug}"
    );
    // And the JSON reads back.
    let back: SealedCustomer = serde_json::from_str(&json).unwrap();
    let all = Access::<AccountService>::new(alice.id.clone(), Actor::service("crm"));
    assert_eq!(
        back.open(&v, &all).unwrap().name.read(&all).unwrap(),
        "Alice"
    );
}

#[test]
fn moved_fields_fail_to_open() {
    let v = vault();
    let alice = customer("cus_alice", "Alice", Some("+15550100"));
    let bob = customer("cus_bob", "Bob", Some("+15550199"));
    let a = alice.seal(&v).unwrap();
    let mut b = bob.seal(&v).unwrap();
    let bob_access = Access::<AccountService>::new(bob.id.clone(), Actor::service("crm"));

    // Alice's email pasted into Bob's row.
    b.email = a.email.clone();
    assert!(matches!(
        b.open_email(&v, &bob_access),
        Err(VaultError::SubjectMismatch)
    ));
    assert!(b.open(&v, &bob_access).is_err());

    // Between two fields of one record: the name's ciphertext in the address's place
    // (the types differ, so it can only get there as bytes, e.g. by a bad migration).
    let mut b = bob.seal(&v).unwrap();
    b.address = custodian::Sealed::from_bytes(b.name.as_bytes().to_vec()).unwrap();
    assert!(matches!(
        b.open_address(&v, &bob_access),
        Err(VaultError::Decrypt)
    ));

    // An access for another subject than the record's is refused up front.
    let alice_access = Access::<AccountService>::new(alice.id.clone(), Actor::service("crm"));
    let b = bob.seal(&v).unwrap();
    assert!(matches!(
        b.open(&v, &alice_access),
        Err(VaultError::SubjectMismatch)
    ));
}

#[test]
fn sealing_refuses_a_field_of_another_subject() {
    let v = vault();
    let mut alice = customer("cus_alice", "Alice", None);
    alice.email = Personal::new(sid("cus_mallory"), "m@example.com".into());
    assert!(matches!(alice.seal(&v), Err(VaultError::SubjectMismatch)));
}

#[test]
fn shredding_the_subject_closes_the_whole_record() {
    let v = vault();
    let alice = customer("cus_alice", "Alice", Some("+15550100"));
    let sealed = alice.seal(&v).unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .shred(&alice.id)
        .unwrap();
    let all = Access::<AccountService>::new(alice.id.clone(), Actor::service("crm"));
    assert!(matches!(sealed.open(&v, &all), Err(VaultError::Shredded)));
}

// A struct written by a `macro_rules!` macro receives its field types as `$t:ty`
// fragments (an invisible group around the type); a `Personal` passed that way is
// still a personal field, and is sealed.
macro_rules! contact_record {
    ($t:ty) => {
        #[derive(PersonalData)]
        #[personal(no_serde, retain = "1y")]
        pub struct Contact {
            #[personal(subject)]
            pub id: SubjectId,
            pub email: $t,
        }
    };
}
contact_record!(Personal<String, Email>);

#[test]
fn personal_field_passed_through_a_macro_is_sealed() {
    let vault = vault();
    let s = sid("cus_macro");
    let contact = Contact {
        id: s.clone(),
        email: Personal::new(s.clone(), "macro@example.com".into()),
    };
    let sealed: SealedContact = contact.seal(&vault).unwrap();
    let field: &custodian::Sealed<String, Email> = &sealed.email;
    let bytes = field.as_bytes();
    assert!(!bytes.windows(6).any(|w| w == b"macro@"));
    let access = Access::<Receipts>::new(s, Actor::service("test"));
    let opened = sealed.open_email(&vault, &access).unwrap();
    assert_eq!(opened.read(&access).unwrap(), "macro@example.com");
}

/// With `no_debug` the derive writes no `Debug`, so the user may derive one.
#[derive(PersonalData, Debug)]
#[personal(record = "contact", no_debug)]
pub struct DebugContact {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(retain = "until_erased")]
    pub email: Personal<String, Email>,
    pub note: String,
}

#[test]
fn no_debug_lets_the_user_derive_debug_and_personal_fields_stay_redacted() {
    let s = sid("cus_alice");
    let contact = DebugContact {
        id: s.clone(),
        email: Personal::new(s, "alice@example.com".into()),
        note: "prefers mornings".into(),
    };
    let debug = format!("{contact:?}");
    // std's derived `Debug` prints the struct, and each `Personal` through its own
    // `Debug`, which is redacted.
    assert!(debug.starts_with("DebugContact {"), "{debug}");
    assert!(debug.contains("note: \"prefers mornings\""), "{debug}");
    assert!(
        debug.contains("email: Personal<user.contact.email>(<redacted>)"),
        "{debug}"
    );
    assert!(!debug.contains("alice@example.com"), "Debug leaks: {debug}");
}

/// Holds no personal data, and is not `Serialize`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tier(u8);

/// Under `no_serde`, plain fields that are `Serialize` (proven to hold no `Personal`)
/// or vouched for with `plain` are copied; the personal field is sealed.
#[derive(PersonalData)]
#[personal(record = "account", no_serde, retain = "3y")]
pub struct Account {
    #[personal(subject)]
    pub id: SubjectId,
    pub email: Personal<String, Email>,
    pub flags: (u8, bool),
    pub visits: std::cell::Cell<u32>,
    #[personal(plain)]
    pub tier: Tier,
}

#[test]
fn no_serde_copies_plain_fields_proven_or_vouched_and_seals_the_personal_one() {
    let v = vault();
    let s = sid("cus_alice");
    let account = Account {
        id: s.clone(),
        email: Personal::new(s.clone(), "alice@example.com".into()),
        flags: (7, true),
        visits: std::cell::Cell::new(3),
        tier: Tier(2),
    };
    let sealed = account.seal(&v).unwrap();
    assert_eq!(sealed.flags, (7, true));
    assert_eq!(sealed.visits.get(), 3);
    assert_eq!(sealed.tier, Tier(2));
    assert!(!format!("{sealed:?}").contains("alice@example.com"));
    let receipts = Access::<Receipts>::new(s, Actor::service("mailer"));
    let email = sealed.open_email(&v, &receipts).unwrap();
    assert_eq!(email.read(&receipts).unwrap(), "alice@example.com");
}
