// A condition or authorisation that no used category needs is refused: the record of
// processing would claim a ground the purpose does not rely on.
use custodian::categories::Email;

custodian::purpose! {
    pub struct Newsletter {
        basis: Consent,
        condition: ExplicitConsent,
        description: "Send the newsletter.",
        uses: [Email],
    }
    pub struct Reminders {
        basis: Contract,
        art10: OfficialAuthority,
        description: "Send reminders.",
        uses: [Email],
    }
}

fn main() {}
