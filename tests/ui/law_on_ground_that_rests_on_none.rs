// A `law` is refused where the provision rests on none: the record of processing must
// not claim a legal ground the basis or condition does not have.
use custodian::categories::{Email, Health};

custodian::purpose! {
    pub struct Orders {
        basis: Contract { law: "§ 433 BGB" },
        description: "Deliver your orders.",
        uses: [Email],
    }
    pub struct Claims {
        basis: LegitimateInterests,
        condition: LegalClaims { law: "§ 823 BGB" },
        description: "Defend claims.",
        uses: [Health],
    }
}

fn main() {}
