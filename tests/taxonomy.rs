//! The legal model as data: what `purpose!` and `category!` record for the record of
//! processing (Art. 30(1)), and that it matches the law they cite.

use custodian::Category;
use custodian::CcpaSensitive;
use custodian::Purpose;
use custodian::basis::Basis;
use custodian::categories::{self, CriminalRecord, Email, Health, Name, PostalAddress};
use custodian::condition::{Authorisation, Condition};

custodian::purpose! {
    /// Invoices kept for the tax authority: a legal obligation names its law.
    pub struct TaxRecords {
        basis: LegalObligation { law: "§ 147 Abgabenordnung (AO)" },
        description: "Keep invoices for the tax authority.",
        uses: [Name, PostalAddress],
    }
    /// Occupational medicine: Art. 9(2)(h) names its law.
    pub struct OccupationalHealth {
        basis: LegalObligation { law: "§ 3 Arbeitssicherheitsgesetz (ASiG)" },
        condition: HealthOrSocialCare { law: "§ 3 ASiG with § 203 StGB (professional secrecy)" },
        description: "Occupational health checks.",
        uses: [Name, Health],
    }
    /// Vetting staff for work with children: criminal records under an Art. 10 law.
    pub struct StaffVetting {
        basis: LegalObligation { law: "§ 72a SGB VIII" },
        art10: AuthorisedByLaw { law: "§ 30a Bundeszentralregistergesetz (BZRG)" },
        description: "Check the extended certificate of conduct of staff working with children.",
        uses: [Name, CriminalRecord],
    }
    /// Defending legal claims that involve both health and criminal-offence data.
    pub struct Litigation {
        basis: LegitimateInterests,
        condition: LegalClaims,
        art10: OfficialAuthority,
        description: "Defend claims brought against us.",
        uses: [Name, Health, CriminalRecord],
    }
    /// A service directed at children.
    pub struct KidsClub {
        basis: Consent,
        children: true,
        description: "Run the kids' club you signed your child up for.",
        uses: [Name, Email],
    }
}

custodian::category! {
    /// A driver's licence number: CCPA sensitive, declared as such.
    pub struct DriversLicence {
        name: "user.government_id.drivers_licence",
        description: "Driver's licence number",
        ccpa_sensitive: GovernmentIdNumber,
    }
    /// A loyalty number: not sensitive under either law.
    pub struct LoyaltyNumber {
        name: "user.loyalty.member_number",
        description: "Loyalty programme number",
    }
}

#[test]
fn legal_obligation_records_its_law() {
    let info = TaxRecords::INFO;
    assert_eq!(info.basis, Basis::LegalObligation);
    assert_eq!(info.basis_law, Some("§ 147 Abgabenordnung (AO)"));
    assert_eq!(info.condition, None);
    assert_eq!(info.art10, None);
    assert!(Basis::LegalObligation.requires_law());
    assert!(Basis::PublicTask.requires_law());
    assert!(!Basis::Contract.requires_law());
}

#[test]
fn art9_condition_records_its_article_and_law() {
    let condition = OccupationalHealth::INFO.condition.expect("declared");
    assert_eq!(condition.condition, Condition::HealthOrSocialCare);
    assert_eq!(condition.article(), "Art. 9(2)(h)");
    assert_eq!(
        condition.law,
        Some("§ 3 ASiG with § 203 StGB (professional secrecy)")
    );
    assert_eq!(OccupationalHealth::INFO.art10, None);
}

#[test]
fn art10_authorisation_is_recorded_apart_from_the_art9_condition() {
    let vetting = StaffVetting::INFO;
    assert_eq!(vetting.condition, None);
    let art10 = vetting.art10.expect("declared");
    assert_eq!(art10.authorisation, Authorisation::AuthorisedByLaw);
    assert_eq!(art10.law, Some("§ 30a Bundeszentralregistergesetz (BZRG)"));
    assert_eq!(art10.article(), "Art. 10");

    let both = Litigation::INFO;
    assert_eq!(
        both.condition.map(|c| c.condition),
        Some(Condition::LegalClaims)
    );
    assert_eq!(both.condition.and_then(|c| c.law), None);
    assert_eq!(
        both.art10.map(|a| a.authorisation),
        Some(Authorisation::OfficialAuthority)
    );
}

#[test]
fn conditions_that_demand_a_law_are_exactly_those_whose_text_does() {
    let demanding = [
        Condition::Employment,
        Condition::SubstantialPublicInterest,
        Condition::HealthOrSocialCare,
        Condition::PublicHealth,
        Condition::ArchivingResearchStatistics,
    ];
    for c in Condition::ALL {
        assert_eq!(c.requires_law(), demanding.contains(c), "{}", c.article());
    }
    assert!(Authorisation::AuthorisedByLaw.requires_law());
    assert!(!Authorisation::OfficialAuthority.requires_law());
}

#[test]
fn children_flag_is_declared_on_the_purpose_and_defaults_to_false() {
    let declared = [KidsClub::INFO.children, KidsClub::CHILDREN];
    assert_eq!(declared, [true, true]);
    assert_eq!(
        [TaxRecords::INFO.children, Litigation::INFO.children],
        [false, false]
    );
}

#[test]
fn builtin_ccpa_sensitive_categories_are_marked_with_their_subdivision() {
    let expected: &[(&str, Option<&str>)] = &[
        (categories::GovernmentId::NAME, Some("1798.140(ae)(1)(A)")),
        (categories::Credentials::NAME, Some("1798.140(ae)(1)(B)")),
        (categories::PaymentCard::NAME, Some("1798.140(ae)(1)(B)")),
        (categories::BankAccount::NAME, Some("1798.140(ae)(1)(B)")),
        (
            categories::PreciseLocation::NAME,
            Some("1798.140(ae)(1)(C)"),
        ),
        (
            categories::RacialEthnicOrigin::NAME,
            Some("1798.140(ae)(1)(D)"),
        ),
        (
            categories::ReligiousBelief::NAME,
            Some("1798.140(ae)(1)(D)"),
        ),
        (
            categories::TradeUnionMembership::NAME,
            Some("1798.140(ae)(1)(D)"),
        ),
        (categories::Communications::NAME, Some("1798.140(ae)(1)(E)")),
        (categories::Genetic::NAME, Some("1798.140(ae)(1)(F)")),
        (categories::Biometric::NAME, Some("1798.140(ae)(2)(A)")),
        (categories::Health::NAME, Some("1798.140(ae)(2)(B)")),
        (
            categories::SexLifeOrientation::NAME,
            Some("1798.140(ae)(2)(C)"),
        ),
        // Not in 1798.140(ae): ordinary personal information under the CCPA.
        (categories::Name::NAME, None),
        (categories::Email::NAME, None),
        (categories::Phone::NAME, None),
        (categories::PostalAddress::NAME, None),
        (categories::DateOfBirth::NAME, None),
        (categories::IpAddress::NAME, None),
        (categories::DeviceId::NAME, None),
        (categories::PurchaseHistory::NAME, None),
        (categories::PoliticalOpinion::NAME, None),
        (categories::CriminalRecord::NAME, None),
    ];
    assert_eq!(
        expected.len(),
        categories::ALL.len(),
        "every built-in is listed"
    );
    for info in categories::ALL {
        let want = expected
            .iter()
            .find(|(name, _)| *name == info.name)
            .map(|(_, statute)| *statute)
            .expect("listed above");
        let got = info.ccpa_sensitive.map(|s| s.statute());
        assert_eq!(
            got.map(|s| s.trim_start_matches("Cal. Civ. Code § ")),
            want,
            "{}",
            info.name
        );
        if let Some(statute) = got {
            assert!(statute.starts_with("Cal. Civ. Code § 1798.140(ae)"));
        }
    }
}

#[test]
fn category_macro_declares_ccpa_sensitivity_and_info_shows_it() {
    assert_eq!(
        DriversLicence::CCPA_SENSITIVE,
        Some(CcpaSensitive::GovernmentIdNumber)
    );
    assert_eq!(
        DriversLicence::INFO.ccpa_sensitive.map(|s| s.statute()),
        Some("Cal. Civ. Code § 1798.140(ae)(1)(A)")
    );
    assert_eq!(LoyaltyNumber::INFO.ccpa_sensitive, None);
    // GDPR and CCPA sensitivity are independent: a criminal record is Art. 10 data but
    // not CCPA sensitive; a card number is CCPA sensitive but ordinary under the GDPR.
    assert_eq!(CriminalRecord::INFO.ccpa_sensitive, None);
    assert!(!categories::PaymentCard::SENSITIVITY.needs_condition());
    assert!(categories::PaymentCard::INFO.ccpa_sensitive.is_some());
    assert_eq!(Email::INFO.ccpa_sensitive, None);
}
