// An erasure exception is built only by `ErasureException::keep::<P, C>`, which checks
// that `P` declares `C` and does not rest on consent; a record of plain strings (as in
// a receipt) is not an exception.
use custodian::retention::{ErasureException, ExceptionRecord};

fn main() {
    let record = ExceptionRecord {
        category: "user.contact.email".into(),
        purpose: "marketing".into(),
        law: "none".into(),
        until: chrono::DateTime::from_timestamp(2_000_000_000, 0).unwrap(),
    };
    let _ = ErasureException(record);
}
