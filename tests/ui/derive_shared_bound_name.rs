// Two personal fields bound to one name would share one context, so a ciphertext
// swapped between them would open in the other: refused. So is a rename to the name
// of another field.
use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};

#[derive(PersonalData)]
#[personal(retain = "until_erased")]
pub struct Contact {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(rename = "email")]
    pub billing_email: Personal<String, Email>,
    #[personal(rename = "email")]
    pub marketing_email: Personal<String, Email>,
    #[personal(rename = "plan")]
    pub work_email: Personal<String, Email>,
    pub plan: String,
}

fn main() {}
