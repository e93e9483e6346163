// A `Personal` field with no retention on it or on its struct: refused, never read as
// "kept until erased" (GDPR Art. 25(2)). The `until_erased` field and the struct-level
// default below are the explicit choices, and are accepted.
use custodian::categories::{Email, Name, Phone};
use custodian::{Personal, PersonalData, SubjectId};

#[derive(PersonalData)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(retain = "until_erased")]
    pub name: Personal<String, Name>,
    pub email: Personal<String, Email>,
}

#[derive(PersonalData)]
#[personal(retain = "2y")]
pub struct Lead {
    #[personal(subject)]
    pub id: SubjectId,
    pub phone: Personal<String, Phone>,
}

#[derive(PersonalData)]
#[personal(retain = "8y from end of year +25:00")]
pub struct Invoice {
    #[personal(subject)]
    pub id: SubjectId,
    pub email: Personal<String, Email>,
}

fn main() {}
