// Evidence kept after an erasure is read only in an `EvidenceRole`: an actor alone
// does not do.
use custodian::consent::ConsentLedger;
use custodian::{Actor, SubjectId};

fn main() {
    let ledger = ConsentLedger::in_memory();
    let alice = SubjectId::new("cus_1").unwrap();
    let _ = ledger.kept_evidence(&Actor::staff("emp-9", "legal"), &alice);
}
