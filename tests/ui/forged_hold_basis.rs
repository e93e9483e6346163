// `HoldBasis` is sealed: consent cannot be declared a basis a hold may keep data for.
use custodian::basis::Consent;
use custodian::categories::Email;
use custodian::retention::HoldBasis;

custodian::purpose! {
    pub struct Offers { basis: Consent, description: "Email offers.", uses: [Email] }
}

impl HoldBasis<Offers> for Consent {}

fn main() {}
