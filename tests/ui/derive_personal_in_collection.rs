// A collection of personal values is not a field the derive can seal: refused, not
// copied in clear into the sealed struct.
use custodian::categories::Phone;
use custodian::{Personal, PersonalData, SubjectId};

#[derive(PersonalData)]
#[personal(no_serde)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub phones: Vec<Personal<String, Phone>>,
}

fn main() {}
