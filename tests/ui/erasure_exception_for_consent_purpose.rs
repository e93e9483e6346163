// An erasure exception keeps data a law requires, for a purpose that does not rest on
// consent: keeping an erased person's email "for marketing" would defeat the erasure.
use custodian::categories::Email;
use custodian::retention::ErasureException;

custodian::purpose! {
    pub struct Offers { basis: Consent, description: "Email offers.", uses: [Email] }
}

fn main() {
    let until = chrono::DateTime::from_timestamp(2_000_000_000, 0).unwrap();
    let _ = ErasureException::keep::<Offers, Email>("none", until);
}
