// `category!` refuses the name of a built-in category: a look-alike with weaker
// sensitivity would let sealed data of the built-in be re-typed to it.
custodian::category! {
    /// Wellness notes, declared under the built-in Health category's name.
    pub struct NotHealth {
        name: "user.health_and_medical",
        description: "Wellness notes",
    }
}

fn main() {}
