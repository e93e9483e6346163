use custodian::categories::Email;
use custodian::{Personal, PersonalData};

#[derive(PersonalData)]
pub struct Customer {
    pub email: Personal<String, Email>,
}

fn main() {}
