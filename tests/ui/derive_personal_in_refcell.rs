// Under `no_serde`, a plain `RefCell<Personal<..>>` field would be copied into the
// sealed struct in clear: refused (std's cells are among the containers the probe names).
#![allow(unused_imports)]
use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};
use std::cell::RefCell;

#[derive(PersonalData)]
#[personal(no_serde)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub contact: RefCell<Personal<String, Email>>,
}

fn main() {}
