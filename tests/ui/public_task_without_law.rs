// Art. 6(1)(e) with 6(3): a task in the public interest is laid down by Union or Member
// State law, and the record of processing names it.
use custodian::categories::Name;

custodian::purpose! {
    pub struct Census {
        basis: PublicTask,
        description: "Count the population.",
        uses: [Name],
    }
}

fn main() {}
