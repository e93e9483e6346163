//! The built-in categories: what customer records usually hold.
//!
//! Names follow the Fides taxonomy where it has one. The GDPR Art. 9 special categories
//! and Art. 10 criminal-offence data are flagged, so a purpose using them must name an
//! Art. 9(2) condition or an Art. 10 authorisation. CCPA sensitive personal information
//! (Cal. Civ. Code § 1798.140(ae)) is marked with its subdivision: the two laws draw
//! different lines (a card number is CCPA sensitive but ordinary under the GDPR; a
//! criminal record and political opinions are restricted by the GDPR but not CCPA
//! sensitive). Declare your own with [`category!`](macro@crate::category).

// Through the declaration `category!` uses, without its check that refuses the names
// declared here.
crate::__category_decl! {
    /// A person's name: given, family, full or display name.
    pub struct Name {
        name: "user.name",
        description: "Name",
    }
    /// An email address.
    pub struct Email {
        name: "user.contact.email",
        description: "Email address",
    }
    /// A telephone number.
    pub struct Phone {
        name: "user.contact.phone_number",
        description: "Telephone number",
    }
    /// A postal or street address.
    pub struct PostalAddress {
        name: "user.contact.address",
        description: "Postal address",
    }
    /// Date of birth.
    pub struct DateOfBirth {
        name: "user.demographic.date_of_birth",
        description: "Date of birth",
    }
    /// A government-issued identifier: passport, national id, social security, tax id.
    pub struct GovernmentId {
        name: "user.government_id",
        description: "Government-issued identifier (passport, national id, tax or social security number)",
        ccpa_sensitive: GovernmentIdNumber,
    }
    /// A payment card number and its details (CCPA sensitive: a card number with the
    /// code that gives access to the account, 1798.140(ae)(1)(B)).
    pub struct PaymentCard {
        name: "user.financial.credit_card",
        description: "Payment card details",
        ccpa_sensitive: AccountAccess,
    }
    /// A bank account number (IBAN, account and routing number).
    pub struct BankAccount {
        name: "user.financial.bank_account",
        description: "Bank account details",
        ccpa_sensitive: AccountAccess,
    }
    /// A precise geographic location (GPS, street-level).
    pub struct PreciseLocation {
        name: "user.location.precise",
        description: "Precise geolocation",
        ccpa_sensitive: PreciseGeolocation,
    }
    /// An IP address.
    pub struct IpAddress {
        name: "user.device.ip_address",
        description: "IP address",
    }
    /// A device identifier: advertising id, IMEI, cookie id.
    pub struct DeviceId {
        name: "user.device.device_id",
        description: "Device or online identifier",
    }
    /// Account credentials: username with password hash, security questions, tokens.
    pub struct Credentials {
        name: "user.authorization.credentials",
        description: "Account credentials",
        ccpa_sensitive: AccountAccess,
    }
    /// Purchase and order history.
    pub struct PurchaseHistory {
        name: "user.behavior.purchase_history",
        description: "Purchase history",
    }
    /// The content of private communications: messages, support tickets, call recordings.
    /// Marked CCPA sensitive (1798.140(ae)(1)(E)) because it may hold messages of which
    /// the business is not the intended recipient; messages addressed to the business
    /// itself are not sensitive under that subdivision.
    pub struct Communications {
        name: "user.content.private",
        description: "Content of private communications",
        ccpa_sensitive: CommunicationsContent,
    }
    /// Data concerning health (Art. 9).
    pub struct Health {
        name: "user.health_and_medical",
        description: "Data concerning health",
        sensitivity: Special,
        ccpa_sensitive: HealthData,
    }
    /// Biometric data processed to identify a person (Art. 9).
    pub struct Biometric {
        name: "user.biometric",
        description: "Biometric data for identification",
        sensitivity: Special,
        ccpa_sensitive: BiometricIdentification,
    }
    /// Genetic data (Art. 9).
    pub struct Genetic {
        name: "user.genetic",
        description: "Genetic data",
        sensitivity: Special,
        ccpa_sensitive: GeneticData,
    }
    /// Racial or ethnic origin (Art. 9).
    pub struct RacialEthnicOrigin {
        name: "user.demographic.racial_ethnic_origin",
        description: "Racial or ethnic origin",
        sensitivity: Special,
        ccpa_sensitive: OriginBeliefsOrUnion,
    }
    /// Political opinions (Art. 9).
    pub struct PoliticalOpinion {
        name: "user.demographic.political_opinion",
        description: "Political opinions",
        sensitivity: Special,
    }
    /// Religious or philosophical beliefs (Art. 9).
    pub struct ReligiousBelief {
        name: "user.demographic.religious_belief",
        description: "Religious or philosophical beliefs",
        sensitivity: Special,
        ccpa_sensitive: OriginBeliefsOrUnion,
    }
    /// Trade-union membership (Art. 9).
    pub struct TradeUnionMembership {
        name: "user.demographic.trade_union_membership",
        description: "Trade-union membership",
        sensitivity: Special,
        ccpa_sensitive: OriginBeliefsOrUnion,
    }
    /// Sex life or sexual orientation (Art. 9).
    pub struct SexLifeOrientation {
        name: "user.demographic.sexual_orientation",
        description: "Sex life or sexual orientation",
        sensitivity: Special,
        ccpa_sensitive: SexLifeOrOrientation,
    }
    /// Criminal convictions and offences (Art. 10).
    pub struct CriminalRecord {
        name: "user.criminal_history",
        description: "Criminal convictions and offences",
        sensitivity: CriminalOffence,
    }
}

/// Every built-in category, for listings and tests.
pub const ALL: &[crate::CategoryInfo] = {
    use crate::Category;
    &[
        Name::INFO,
        Email::INFO,
        Phone::INFO,
        PostalAddress::INFO,
        DateOfBirth::INFO,
        GovernmentId::INFO,
        PaymentCard::INFO,
        BankAccount::INFO,
        PreciseLocation::INFO,
        IpAddress::INFO,
        DeviceId::INFO,
        Credentials::INFO,
        PurchaseHistory::INFO,
        Communications::INFO,
        Health::INFO,
        Biometric::INFO,
        Genetic::INFO,
        RacialEthnicOrigin::INFO,
        PoliticalOpinion::INFO,
        ReligiousBelief::INFO,
        TradeUnionMembership::INFO,
        SexLifeOrientation::INFO,
        CriminalRecord::INFO,
    ]
};

#[cfg(test)]
mod tests {
    use super::ALL;
    use crate::Sensitivity;

    #[test]
    fn names_are_unique_and_art9_is_flagged() {
        let mut names: Vec<_> = ALL.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        let special = ALL
            .iter()
            .filter(|c| c.sensitivity == Sensitivity::Special)
            .count();
        assert_eq!(special, 8, "the eight Art. 9(1) categories");
        let criminal = ALL
            .iter()
            .filter(|c| c.sensitivity == Sensitivity::CriminalOffence)
            .count();
        assert_eq!(criminal, 1, "Art. 10 data");
    }
}
