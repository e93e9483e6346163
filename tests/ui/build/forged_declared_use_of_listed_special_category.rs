// A purpose that lists a special category but names no Art. 9(2) condition does not
// compile (`purpose!` checks it). A hand-written `Purpose` skips `purpose!`'s checks; with
// the hidden seal of `Uses` forged too, it still cannot read health data: the per-use
// check requires the Art. 9(2) condition.
use custodian::categories::Health;
use custodian::{Access, Actor, Category, CategoryInfo, Personal, Purpose, SubjectId};

pub enum Wellness {}
impl Purpose for Wellness {
    type Basis = custodian::basis::Contract;
    type Condition = custodian::condition::NoCondition;
    type Art10 = custodian::condition::NoAuthorisation;
    const NAME: &'static str = "wellness";
    const DESCRIPTION: &'static str = "Tips.";
    const CATEGORIES: &'static [CategoryInfo] = &[Health::INFO];
    const MIN_NOTICE_VERSION: u32 = 1;
    const BASIS_LAW: Option<&'static str> = None;
    const CONDITION_LAW: Option<&'static str> = None;
    const ART10_LAW: Option<&'static str> = None;
    const CHILDREN: bool = false;
}
impl custodian::__private::seal_v1::DeclaredUse<Health> for Wellness {}
impl custodian::Uses<Health> for Wellness {}

fn main() {
    let subject = SubjectId::new("cus_1").unwrap();
    let health: Personal<String, Health> = Personal::new(subject.clone(), "asthma".into());
    let access = Access::<Wellness>::new(subject, Actor::service("tips"));
    let _ = health.map(&access, |h| h.len());
}
