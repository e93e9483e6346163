use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};

#[derive(PersonalData)]
#[personal(retain = "until_erased")]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(encrypt_with = "aes")]
    pub email: Personal<String, Email>,
}

fn main() {}
