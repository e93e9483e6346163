// Only `EvidenceRole::assume` makes the role (a named staff member and a reason): it
// cannot be built around that check.
use custodian::consent::{ConsentLedger, EvidenceRole};
use custodian::{Actor, SubjectId};

fn main() {
    let ledger = ConsentLedger::in_memory();
    let alice = SubjectId::new("cus_1").unwrap();
    let forged = EvidenceRole {
        actor: Actor::service("exporter"),
        reason: String::new(),
    };
    let _ = ledger.kept_evidence(&forged, &alice);
}
