// Art. 10's second limb is an authorisation by Union or Member State law: the
// declaration names that law, and a blank name is no name.
use custodian::categories::{CriminalRecord, Name};

custodian::purpose! {
    pub struct Vetting {
        basis: Contract,
        art10: AuthorisedByLaw,
        description: "Vet staff.",
        uses: [Name, CriminalRecord],
    }
    pub struct BlankVetting {
        basis: Contract,
        art10: AuthorisedByLaw { law: "  " },
        description: "Vet staff.",
        uses: [Name, CriminalRecord],
    }
}

fn main() {}
