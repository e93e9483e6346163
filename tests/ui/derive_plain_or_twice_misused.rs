// `plain` vouches for a plain field, so on a `Personal` field (which is sealed) it is a
// mistake; an attribute given twice is ambiguous. Both are refused, in one build.
use custodian::categories::{Email, Phone};
use custodian::{Personal, PersonalData, SubjectId};

#[derive(PersonalData)]
#[personal(retain = "until_erased")]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(plain)]
    pub email: Personal<String, Email>,
    #[personal(retain = "30d", retain = "7y")]
    pub phone: Personal<String, Phone>,
}

fn main() {}
