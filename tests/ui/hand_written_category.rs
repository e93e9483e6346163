// `Category` is sealed: only `category!` implements it. A hand-written impl could reuse
// a built-in's name ("user.health_and_medical") with `Ordinary` sensitivity, and re-type
// sealed health data to it for a purpose with no Art. 9(2) condition.
use custodian::CcpaSensitive;
use custodian::{Category, Sensitivity};

pub enum NotHealth {}

impl Category for NotHealth {
    const NAME: &'static str = "user.health_and_medical";
    const DESCRIPTION: &'static str = "Wellness notes";
    const SENSITIVITY: Sensitivity = Sensitivity::Ordinary;
    const CCPA_SENSITIVE: Option<CcpaSensitive> = None;
}

fn main() {}
