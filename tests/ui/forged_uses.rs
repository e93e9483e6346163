// A purpose uses only what its `purpose!` declaration lists: a hand-written `Uses`
// would read health data while `Receipts::INFO` (the record of processing) says Email.
use custodian::categories::{Email, Health};
use custodian::{Access, Actor, Personal, SubjectId};

custodian::purpose! {
    pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] }
}

impl custodian::Uses<Health> for Receipts {}

fn main() {
    let subject = SubjectId::new("cus_1").unwrap();
    let health: Personal<String, Health> = Personal::new(subject.clone(), "asthma".into());
    let access = Access::<Receipts>::new(subject, Actor::service("mailer"));
    let _ = health.read(&access);
}
