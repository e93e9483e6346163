// Criminal-offence data is processed only under official authority or when authorised
// by law (Art. 10): an Art. 9(2) condition is not accepted as an Art. 10 authorisation.
use custodian::categories::CriminalRecord;

custodian::purpose! {
    pub struct Screening {
        basis: Consent,
        art10: ExplicitConsent,
        description: "Screen applicants.",
        uses: [CriminalRecord],
    }
}

fn main() {}
