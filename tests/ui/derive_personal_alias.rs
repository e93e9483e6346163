// A personal field hidden behind a type alias must not pass through as a plain field
// (the "sealed" struct would carry the value in clear).
use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};

type EmailAddress = Personal<String, Email>;

#[derive(PersonalData)]
#[personal(no_serde)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub email: EmailAddress,
    pub backup: Option<EmailAddress>,
}

fn main() {}
