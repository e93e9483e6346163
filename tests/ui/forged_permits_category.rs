// A special category cannot be permitted by hand for a purpose without an Art. 9
// condition: the check reads the category's sensitivity and the purpose's condition,
// which user code cannot change.
use custodian::categories::Health;
use custodian::condition::{NoCondition, PermitsCategory};

custodian::purpose! {
    pub struct Wellness { basis: Contract, description: "Wellness tips.", uses: [Health] }
}

impl PermitsCategory<Health, Wellness> for NoCondition {}

fn main() {}
