use custodian::categories::Email;
use custodian::{Personal, PersonalData};

#[derive(PersonalData)]
#[personal(retain = "until_erased")]
pub struct Customer {
    pub email: Personal<String, Email>,
}

fn main() {}
