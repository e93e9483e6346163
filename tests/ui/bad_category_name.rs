custodian::category! {
    pub struct Loyalty { name: "User.Loyalty Number", description: "Loyalty number" }
}

fn main() {}
