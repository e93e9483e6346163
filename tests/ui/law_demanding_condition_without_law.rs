// Art. 9(2)(i) permits processing for public health only "on the basis of Union or
// Member State law": a declaration that does not name that law does not compile.
use custodian::categories::Health;

custodian::purpose! {
    pub struct Surveillance {
        basis: VitalInterests,
        condition: PublicHealth,
        description: "Report notifiable diseases.",
        uses: [Health],
    }
}

fn main() {}
