use custodian::categories::Email;
use custodian::{Access, Actor, SubjectId};

custodian::purpose! {
    pub struct Marketing { basis: Consent, description: "Offers.", uses: [Email] }
}

fn main() {
    let subject = SubjectId::new("cus_1").unwrap();
    let _access = Access::<Marketing>::new(subject, Actor::service("mailer"));
}
