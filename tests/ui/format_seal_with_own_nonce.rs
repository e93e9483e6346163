// The sealed format's primitives are internal: `format::seal` takes the nonce from its
// caller, and a caller who repeats one under a data key breaks AES-GCM (the key stream
// and the authentication key leak). Only the vault seals, with its own nonce sequence.
use custodian::format;
use custodian::keys::Algorithm;

fn main() {
    let nonce = [0u8; 12]; // the same nonce, every time
    let key = format::aead_key(Algorithm::Aes256Gcm, &[7; 32]).unwrap();
    let dates = format::Dates { collected: 0, expires: format::NEVER };
    let sealed = format::seal(
        &key,
        Algorithm::Aes256Gcm,
        "cus_1",
        1,
        dates,
        nonce,
        &[0; 16],
        5,
        |out| out.extend_from_slice(b"alice"),
    );
    assert!(sealed.is_some());
}
