use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};

// An event that is not one of the built-in anchors, and a period longer than the
// 14 bits the sealed header has for it: each a spanned error, nothing kept for ever.
#[derive(PersonalData)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(retain = "3y after end of contrakt")]
    pub email: Personal<String, Email>,
    #[personal(retain = "16384d after last contact")]
    pub phone: Personal<String, Email>,
}

fn main() {}
