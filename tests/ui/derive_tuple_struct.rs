use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};

#[derive(PersonalData)]
pub struct Customer(SubjectId, Personal<String, Email>);

fn main() {}
