use custodian::PersonalData;

#[derive(PersonalData)]
pub enum Customer {
    Person { id: custodian::SubjectId },
}

fn main() {}
