// A purpose that uses both a special category and criminal-offence data needs both an
// Art. 9(2) condition and an Art. 10 authorisation: the condition alone is refused.
use custodian::categories::{CriminalRecord, Health};

custodian::purpose! {
    pub struct Litigation {
        basis: LegitimateInterests,
        condition: LegalClaims,
        description: "Defend claims brought against us.",
        uses: [Health, CriminalRecord],
    }
}

fn main() {}
