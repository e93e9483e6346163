// Fail closed: a wrapper of the user's own, which no list in custodian can know, holding
// a `Personal` in a plain field under `no_serde` is refused too (it is not `Serialize`,
// so nothing proves it holds no personal data).
use custodian::categories::Email;
use custodian::{Personal, PersonalData, SubjectId};

#[derive(Clone, Debug)]
pub struct Tagged<T> {
    pub tag: u8,
    pub value: T,
}

#[derive(PersonalData)]
#[personal(no_serde)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub contact: Tagged<Personal<String, Email>>,
}

fn main() {}
