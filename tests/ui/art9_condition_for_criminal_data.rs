// An Art. 9(2) condition lifts the prohibition on special categories only: criminal-
// offence data (Art. 10) needs its own authorisation, whatever Art. 9 condition the
// purpose names.
use custodian::categories::CriminalRecord;

custodian::purpose! {
    /// Explicit consent is an Art. 9(2)(a) condition, not an Art. 10 authorisation.
    pub struct Screening {
        basis: Consent,
        condition: ExplicitConsent,
        description: "Screen applicants.",
        uses: [CriminalRecord],
    }
    /// Data made public by the subject (Art. 9(2)(e)) is no Art. 10 authorisation either.
    pub struct PressArchive {
        basis: LegitimateInterests,
        condition: MadePublicBySubject,
        description: "Archive press reports.",
        uses: [CriminalRecord],
    }
}

fn main() {}
