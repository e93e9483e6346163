use custodian::categories::Health;

custodian::purpose! {
    pub struct Research {
        basis: LegitimateInterests,
        condition: ExplicitConsent,
        description: "Research.",
        uses: [Health],
    }
}

fn main() {}
