// A purpose that uses both a special category and criminal-offence data needs both: an
// Art. 10 authorisation alone does not permit health data.
use custodian::categories::{CriminalRecord, Health};

custodian::purpose! {
    pub struct Probation {
        basis: PublicTask { law: "§ 56d StGB (probation service)" },
        art10: OfficialAuthority,
        description: "Supervise probation.",
        uses: [Health, CriminalRecord],
    }
}

fn main() {}
