// The request-time `Vault` a handler holds has no erasure (nor shred, sweep, holds,
// rotation, nor recording an event that starts a retention period): those are on `Vault::operator(actor)`, which names who does them.
use custodian::keys::LocalMasterKey;
use custodian::{SubjectId, Vault};

fn main() {
    let vault = Vault::in_memory(LocalMasterKey::generate("kek").unwrap());
    let alice = SubjectId::new("cus_1").unwrap();
    let _ = vault.erase(&alice);
    let _ = vault.shred(&alice);
    let _ = vault.sweep();
    let _ = vault.record_event(
        &alice,
        custodian::retention::Anchor::ContractEnd,
        chrono::Utc::now(),
    );
}
