// One mistake in the derive's input is one error: the derive still emits the sealed
// struct and its methods, so the code below that uses `SealedCustomer`, `seal`, `open`
// `open_email` and the sealed fields reports nothing more (no E0412/E0599 cascade).
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::{Access, Actor, Personal, PersonalData, SubjectId, Vault, VaultError};

custodian::purpose! {
    pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] }
}

#[derive(PersonalData)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(retain = "30 parsecs")]
    pub email: Personal<String, Email>,
    pub plan: String,
}

fn roundtrip(customer: &Customer, vault: &Vault) -> Result<(), VaultError> {
    let sealed: SealedCustomer = customer.seal(vault)?;
    let access = Access::<Receipts>::new(customer.id.clone(), Actor::service("mailer"));
    let _whole: Customer = sealed.open(vault, &access)?;
    let _email: Personal<String, Email> = sealed.open_email(vault, &access)?;
    println!("{customer:?} {sealed:?} {} {:?}", sealed.plan, sealed.email);
    Ok(())
}

fn main() {
    if let Ok(key) = LocalMasterKey::generate("kek") {
        let vault = Vault::in_memory(key);
        let _ = roundtrip as fn(&Customer, &Vault) -> Result<(), VaultError>;
        let _ = vault;
    }
}
