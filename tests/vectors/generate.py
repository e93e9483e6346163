#!/usr/bin/env python3
"""Independent generator of the sealed-format v3 test vectors (docs/format.md).

Written from the specification with the `cryptography` package, not from the Rust code,
so that `tests/crypto.rs` checking custodian against `v3.json` is an interoperability
test. Run: python3 tests/vectors/generate.py > tests/vectors/v3.json
"""
import hashlib
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGS = {1: ("AES-256-GCM", AESGCM), 2: ("ChaCha20-Poly1305", ChaCha20Poly1305)}


VERSION = 3
NEVER = 2**63 - 1
NO_EPOCH = 2**32 - 1


def hkdf(salt, ikm, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def epoch_of(expires):
    return NO_EPOCH if expires == NEVER else expires // 86400


def epoch_share(epoch_key, subject, epoch):
    if epoch == NO_EPOCH:
        return bytes(32)
    s = subject.encode()
    info = b"custodian.v2.epoch-share" + bytes([len(s)]) + s + epoch.to_bytes(4, "big")
    return hkdf(b"custodian.v2.epoch-share-salt", epoch_key, info)


def category_key(subject_key, category):
    c = category.encode()
    return hkdf(b"custodian.v3.category-key-salt", subject_key, b"custodian.v3.category-key" + bytes([len(c)]) + c)


def data_key(category_key, share, alg_id, subject, version, epoch):
    s = subject.encode()
    info = (b"custodian.v3.data-key" + bytes([VERSION, alg_id, len(s)]) + s
            + version.to_bytes(4, "big") + epoch.to_bytes(4, "big"))
    return hkdf(b"custodian.v3.data-key-salt", category_key + share, info)


# The one-byte codes of a category's classification in the context digest.
SENSITIVITY = {"ordinary": 0x00, "special": 0x01, "criminal_offence": 0x02}
CCPA = {
    None: 0x00,
    "government_id_number": 0x01,
    "account_access": 0x02,
    "precise_geolocation": 0x03,
    "origin_beliefs_or_union": 0x04,
    "communications_content": 0x05,
    "genetic_data": 0x06,
    "neural_data": 0x07,
    "biometric_identification": 0x08,
    "health_data": 0x09,
    "sex_life_or_orientation": 0x0A,
}


def context_digest(record, field, category, sensitivity, ccpa):
    h = hashlib.sha256(b"custodian.v3.context")
    for name in (record, field, category):
        b = name.encode()
        h.update(bytes([len(b)]) + b)
    h.update(bytes([SENSITIVITY[sensitivity], CCPA[ccpa]]))
    return h.digest()[:16]


# Event anchors (docs/format.md, "Event anchors"): the header's expiry day is a code
# 0xFF | anchor id (8 bits) | unit (2 bits: d 0, m 1, y 2) | count (14 bits), the
# sealed expiry is NEVER, and the share comes from the subject's anchor key.
ANCHORS = {"contract_end": 1, "employment_end": 2, "last_contact": 3}
UNITS = {"d": 0, "m": 1, "y": 2}


def anchor_code(anchor, unit, count):
    assert 1 <= count <= 0x3FFF
    return 0xFF000000 | ANCHORS[anchor] << 16 | UNITS[unit] << 14 | count


def anchor_share(anchor_key, subject, code):
    s = subject.encode()
    info = b"custodian.v3.anchor-share" + bytes([len(s)]) + s + code.to_bytes(4, "big")
    return hkdf(b"custodian.v3.anchor-share-salt", anchor_key, info)


def seal(key, alg_id, subject, version, collected, expires, nonce, digest, plaintext, day=None):
    s = subject.encode()
    day = epoch_of(expires) if day is None else day
    header = bytes([VERSION, alg_id, len(s)]) + s + version.to_bytes(4, "big") + day.to_bytes(4, "big") + nonce
    trailer = collected.to_bytes(8, "big", signed=True) + expires.to_bytes(8, "big", signed=True) + digest
    # No associated data: everything after the clear header is one AEAD plaintext.
    return header + ALGS[alg_id][1](key).encrypt(nonce, plaintext + trailer, None)


T0 = 1_800_000_000  # 2027-01-15T08:00:00Z


EK = bytes(range(64, 96))  # an epoch key; `None` below: kept until erased
# (name, algorithm, subject key, epoch key, subject, key version, collected, expires,
#  nonce, record, field, (category, GDPR sensitivity, CCPA marking), plaintext)
EMAIL = ("user.contact.email", "ordinary", None)
CASES = [
    ("empty string, until erased, AES", 1, bytes(range(32)), None, "cus_0001", 1, T0, NEVER, bytes(12), "customer", "email", EMAIL, b""),
    ("email, 2 years, AES", 1, bytes(range(32)), EK, "cus_0001", 1, T0, T0 + 730 * 86400, bytes.fromhex("0102030405060708090a0b0c"), "customer", "email", EMAIL, b"alice@example.com"),
    ("phone, key version 7, 30 days, AES", 1, bytes([0xAA] * 32), EK, "7f1c2b9e-0d4e-4f3a-9c61-2b8d5e0a1f33", 7, T0, T0 + 30 * 86400, bytes.fromhex("ffffffffffffffff00000000"), "customer", "phone", ("user.contact.phone_number", "ordinary", None), b"+15550100"),
    ("date of birth as i32 days, until erased, ChaCha20", 2, bytes(range(32, 64)), None, "cus_0002", 1, T0, NEVER, bytes.fromhex("a1a2a3a4a5a6a7a800000001"), "patient", "dob", ("user.demographic.date_of_birth", "ordinary", None), (726_000).to_bytes(4, "big")),
    ("100 bytes of a support ticket, 1 day, ChaCha20", 2, bytes([0x5A] * 32), EK, "c", 4294967295, 0, 86400, bytes.fromhex("000000000000000100000002"), "ticket", "body", ("user.content.private", "ordinary", "communications_content"), bytes(range(100))),
    ("health note (special, CCPA health data), 10 years, AES", 1, bytes(range(32)), EK, "cus_0001", 1, T0, T0 + 3650 * 86400, bytes.fromhex("0c0b0a090807060504030201"), "patient", "notes", ("user.health_and_medical", "special", "health_data"), b"asthma"),
    ("criminal record (Art. 10, not CCPA sensitive), until erased, ChaCha20", 2, bytes([0x33] * 32), None, "emp_42", 2, T0, NEVER, bytes.fromhex("00000000000000000000ffff"), "employee", "record", ("user.criminal_history", "criminal_offence", None), b"none"),
    ("tax id (ordinary, CCPA government id), 1 year, AES", 1, bytes([0x77] * 32), EK, "cus_0003", 3, T0, T0 + 365 * 86400, bytes.fromhex("112233445566778899aabbcc"), "customer", "tax_id", ("user.government_id.tax_id", "ordinary", "government_id_number"), b"DE123456789"),
]

vectors = []
for name, alg, sk, ek, subject, version, collected, expires, nonce, record, field, (category, sensitivity, ccpa), pt in CASES:
    epoch = epoch_of(expires)
    share = epoch_share(ek, subject, epoch)
    ck = category_key(sk, category)
    key = data_key(ck, share, alg, subject, version, epoch)
    digest = context_digest(record, field, category, sensitivity, ccpa)
    vectors.append({
        "name": name,
        "algorithm": ALGS[alg][0],
        "subject_key": sk.hex(),
        "epoch_key": ek.hex() if ek is not None else None,
        "subject": subject,
        "key_version": version,
        "collected": collected,
        "expires": expires,
        "epoch": epoch,
        "nonce": nonce.hex(),
        "record": record,
        "field": field,
        "category": category,
        "sensitivity": sensitivity,
        "ccpa_sensitive": ccpa,
        "plaintext": pt.hex(),
        "epoch_share": share.hex(),
        "category_key": ck.hex(),
        "data_key": key.hex(),
        "context_digest": digest.hex(),
        "sealed": seal(key, alg, subject, version, collected, expires, nonce, digest, pt).hex(),
    })
# (name, algorithm, subject key, anchor key, subject, key version, collected, (anchor,
#  unit, count), nonce, record, field, (category, GDPR sensitivity, CCPA marking),
#  plaintext)
AK = bytes(range(96, 128))  # an anchor key
ANCHORED_CASES = [
    ("email, 3 years after end of contract, AES", 1, bytes(range(32)), AK, "cus_0001", 1, T0, ("contract_end", "y", 3), bytes.fromhex("0a0b0c0d0e0f101112131415"), "customer", "email", EMAIL, b"alice@example.com"),
    ("phone, 24 months after last contact, ChaCha20", 2, bytes([0x42] * 32), AK, "cus_0004", 2, T0, ("last_contact", "m", 24), bytes.fromhex("000102030405060708090a0b"), "customer", "phone", ("user.contact.phone_number", "ordinary", None), b"+15550199"),
]

anchored = []
for name, alg, sk, ak, subject, version, collected, (anchor, unit, count), nonce, record, field, (category, sensitivity, ccpa), pt in ANCHORED_CASES:
    code = anchor_code(anchor, unit, count)
    share = anchor_share(ak, subject, code)
    ck = category_key(sk, category)
    key = data_key(ck, share, alg, subject, version, code)
    digest = context_digest(record, field, category, sensitivity, ccpa)
    anchored.append({
        "name": name,
        "algorithm": ALGS[alg][0],
        "subject_key": sk.hex(),
        "anchor_key": ak.hex(),
        "subject": subject,
        "key_version": version,
        "collected": collected,
        "expires": NEVER,
        "anchor": anchor,
        "period": f"{count}{unit}",
        "code": code,
        "nonce": nonce.hex(),
        "record": record,
        "field": field,
        "category": category,
        "sensitivity": sensitivity,
        "ccpa_sensitive": ccpa,
        "plaintext": pt.hex(),
        "anchor_share": share.hex(),
        "category_key": ck.hex(),
        "data_key": key.hex(),
        "context_digest": digest.hex(),
        "sealed": seal(key, alg, subject, version, collected, NEVER, nonce, digest, pt, day=code).hex(),
    })
print(json.dumps({"format": "custodian sealed v3", "vectors": vectors, "anchored": anchored}, indent=2))
