use custodian::categories::Email;
use custodian::{Personal, SubjectId};

fn main() {
    let subject = SubjectId::new("cus_1").unwrap();
    let email: Personal<String, Email> = Personal::new(subject, "a@example.com".into());
    let _ = email.len();
}
