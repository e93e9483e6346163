// Forging the hidden seal of `Uses` (`__private::seal_v1::DeclaredUse`) as well as
// `Uses` itself still does not let a purpose read what its record of processing
// (`Receipts::INFO`) does not list: the per-use check fails the build.
use custodian::categories::{Email, Health};
use custodian::keys::LocalMasterKey;
use custodian::{Access, Actor, Context, Personal, SubjectId, Vault};

custodian::purpose! {
    pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] }
}

impl custodian::__private::seal_v1::DeclaredUse<Health> for Receipts {}
impl custodian::Uses<Health> for Receipts {}

fn main() {
    let subject = SubjectId::new("cus_1").unwrap();
    let health: Personal<String, Health> = Personal::new(subject.clone(), "asthma".into());
    let access = Access::<Receipts>::new(subject, Actor::service("mailer"));
    let _ = health.read(&access);
    let vault = Vault::in_memory(LocalMasterKey::generate("k").unwrap());
    let context: Context<Health> = Context::new("patient", "diagnosis").unwrap();
    let sealed = vault.seal(&health, &context).unwrap();
    let _ = vault.open(&sealed, &context, &access);
}
