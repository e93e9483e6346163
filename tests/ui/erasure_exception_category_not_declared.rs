// An erasure exception keeps a category for a purpose that declares it: a tax purpose
// that uses postal addresses cannot keep the erased person's email.
use custodian::categories::{Email, PostalAddress};
use custodian::retention::ErasureException;

custodian::purpose! {
    pub struct TaxRecords {
        name: "tax-records",
        basis: LegalObligation { law: "§ 147 AO" },
        description: "Keep invoices as tax law requires.",
        uses: [PostalAddress],
    }
}

fn main() {
    let until = chrono::DateTime::from_timestamp(2_000_000_000, 0).unwrap();
    let _ = ErasureException::keep::<TaxRecords, Email>("§ 147 AO", until);
}
