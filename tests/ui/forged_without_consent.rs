// A consent purpose cannot be declared "not consent" by hand: the access would skip
// the ledger's evidence check.
use custodian::categories::Email;
use custodian::{Access, Actor, SubjectId};

custodian::purpose! {
    pub struct Offers { basis: Consent, description: "Email you offers.", uses: [Email] }
}

impl custodian::WithoutConsent<Offers> for custodian::basis::Consent {}

fn main() {
    let subject = SubjectId::new("cus_1").unwrap();
    let _access = Access::<Offers>::new(subject, Actor::service("mailer"));
}
