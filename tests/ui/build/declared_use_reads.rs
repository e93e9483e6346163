// The per-use check passes for what `purpose!` declares: a purpose that lists Health
// with an Art. 9(2) condition reads it, through `Personal` and `Vault::open`.
use custodian::categories::{Email, Health};
use custodian::keys::LocalMasterKey;
use custodian::{Access, Actor, Context, Personal, SubjectId, Vault};

custodian::purpose! {
    pub struct Care {
        basis: Contract,
        condition: HealthOrSocialCare { law: "§ 630a BGB" },
        description: "Provide care.",
        uses: [Email, Health],
    }
}

fn main() {
    let subject = SubjectId::new("cus_1").unwrap();
    let health: Personal<String, Health> = Personal::new(subject.clone(), "asthma".into());
    let access = Access::<Care>::new(subject, Actor::service("clinic"));
    assert_eq!(health.read(&access).unwrap(), "asthma");
    let vault = Vault::in_memory(LocalMasterKey::generate("k").unwrap());
    let context: Context<Health> = Context::new("patient", "diagnosis").unwrap().retain(custodian::Retention::UntilErased);
    let sealed = vault.seal(&health, &context).unwrap();
    let opened = vault.open(&sealed, &context, &access).unwrap();
    assert_eq!(opened.map(&access, |h| h.len()).unwrap(), 6);
}
