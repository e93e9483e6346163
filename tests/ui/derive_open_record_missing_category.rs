use custodian::categories::{Email, Phone};
use custodian::keys::LocalMasterKey;
use custodian::{Access, Actor, Personal, PersonalData, SubjectId, Vault};

custodian::purpose! {
    pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] }
}

#[derive(PersonalData)]
#[personal(retain = "until_erased")]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub email: Personal<String, Email>,
    pub phone: Personal<String, Phone>,
}

fn main() {
    let vault = Vault::in_memory(LocalMasterKey::generate("k").unwrap());
    let id = SubjectId::new("cus_1").unwrap();
    let customer = Customer {
        id: id.clone(),
        email: Personal::new(id.clone(), "a@example.com".into()),
        phone: Personal::new(id.clone(), "+15550100".into()),
    };
    let sealed = customer.seal(&vault).unwrap();
    let access = Access::<Receipts>::new(id, Actor::service("mailer"));
    let _ = sealed.open(&vault, &access);
}
