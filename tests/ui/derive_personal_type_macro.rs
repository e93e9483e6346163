// A personal field whose type comes from a macro is not recognisable by its spelling;
// the derive must refuse it rather than pass it through in clear.
use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};

macro_rules! email_type {
    () => {
        Personal<String, Email>
    };
}

#[derive(PersonalData)]
#[personal(no_serde)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub email: email_type!(),
}

fn main() {}
