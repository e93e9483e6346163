// A legal hold keeps data for a claim or a legal duty, never for a consent purpose:
// holding for `Offers` would reopen expired data for marketing.
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::retention::HoldScope;
use custodian::{Actor, SubjectId, Vault};

custodian::purpose! {
    pub struct Offers { basis: Consent, description: "Email offers.", uses: [Email] }
}

fn main() {
    let vault = Vault::in_memory(LocalMasterKey::generate("kek").unwrap());
    let alice = SubjectId::new("cus_1").unwrap();
    let dpo = vault.operator(Actor::staff("emp-7", "privacy-officer"));
    let _ = dpo.hold::<Offers>(&alice, "case 1", None);
    let _ = HoldScope::purpose::<Offers>();
}
