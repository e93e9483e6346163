// The derive's hidden path cannot choose when a value was collected: the collection
// time is a token only the vault mints from its clock (`collected_now`), so a value
// cannot be sealed as "collected in 2200" to outlive its retention.
use custodian::__private::v1;
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::{Personal, Retention, SubjectId, Vault};

fn main() {
    let vault = Vault::in_memory(LocalMasterKey::generate("k").unwrap());
    let alice = SubjectId::new("cus_1").unwrap();
    let c = v1::context::<Email>("customer", "email", Some(Retention::Days(30)));
    let p = Personal::new(alice.clone(), "a@x".to_string());
    let year_2200 = 7_258_118_400i64;
    let _ = v1::seal(&vault, &alice, &p, &c, year_2200);
}
