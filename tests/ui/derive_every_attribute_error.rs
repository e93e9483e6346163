// Every attribute mistake is reported in one build, not only the first.
use custodian::categories::{Email, Phone};
use custodian::{Personal, PersonalData, SubjectId};

#[derive(PersonalData)]
#[personal(reccord = "customer", no_serde)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(encrypt_with = "aes", retain = 30)]
    pub email: Personal<String, Email>,
    #[personal(retain = "30 parsecs")]
    pub phone: Personal<String, Phone>,
}

fn main() {}
