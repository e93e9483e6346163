use custodian::categories::{Email, Phone};
use custodian::{Access, Actor, Personal, SubjectId};

custodian::purpose! {
    pub struct Billing { basis: Contract, description: "Invoices.", uses: [Email] }
}

fn main() {
    let subject = SubjectId::new("cus_1").unwrap();
    let phone: Personal<String, Phone> = Personal::new(subject.clone(), "+15550100".into());
    let access = Access::<Billing>::new(subject, Actor::service("invoicer"));
    let _ = phone.read(&access);
}
