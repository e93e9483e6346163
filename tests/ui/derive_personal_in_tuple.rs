// Under `no_serde`, a plain field that is a tuple holding a `Personal` would be copied
// into the sealed struct in clear: refused, since nothing proves it holds none (it is
// not `Serialize`), not because a list of containers names it.
#![allow(unused_imports)]
use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};
use std::cell::RefCell;

#[derive(PersonalData)]
#[personal(no_serde)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub contact: (Personal<String, Email>, u8),
}

fn main() {}
