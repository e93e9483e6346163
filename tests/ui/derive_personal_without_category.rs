use custodian::{PersonalData, SubjectId};

pub struct Personal<T>(T);

#[derive(PersonalData)]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub email: Personal<String>,
}

fn main() {}
