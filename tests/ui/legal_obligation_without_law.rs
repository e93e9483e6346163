// Art. 6(1)(c) with 6(3): a legal obligation is laid down by Union or Member State law,
// and the record of processing names it. `basis: LegalObligation` without it is refused.
use custodian::categories::{Name, PostalAddress};

custodian::purpose! {
    pub struct TaxRecords {
        basis: LegalObligation,
        description: "Keep invoices for the tax authority.",
        uses: [Name, PostalAddress],
    }
}

fn main() {}
