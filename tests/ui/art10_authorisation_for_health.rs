// Official authority is the first limb of Art. 10 (criminal-offence data): it lifts no
// Art. 9(1) prohibition, so it cannot be a purpose's Art. 9(2) condition for health data.
use custodian::categories::Health;

custodian::purpose! {
    pub struct FitnessChecks {
        basis: LegitimateInterests,
        condition: OfficialAuthority,
        description: "Check staff fitness for duty.",
        uses: [Health],
    }
}

fn main() {}
