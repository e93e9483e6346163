// `category!` refuses a name under a built-in special category (here Health) declared
// with another sensitivity: a sub-category of health data is health data, and as
// `Ordinary` a purpose could read it without an Art. 9(2) condition.
custodian::category! {
    /// Doctor's notes, declared as ordinary data under the health namespace.
    pub struct Notes {
        name: "user.health_and_medical.notes",
        description: "Notes from the doctor",
    }
}

fn main() {}
