use custodian::categories::{Email, Health};

custodian::purpose! {
    pub struct Wellness { basis: Consent, description: "Wellness tips.", uses: [Email, Health] }
}

fn main() {}
