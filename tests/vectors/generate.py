#!/usr/bin/env python3
"""Independent generator of the sealed-format v1 test vectors (docs/format.md).

Written from the specification with the `cryptography` package, not from the Rust code,
so that `tests/crypto.rs` checking custodian against `v1.json` is an interoperability
test. Run: python3 tests/vectors/generate.py > tests/vectors/v1.json
"""
import hashlib
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGS = {1: ("AES-256-GCM", AESGCM), 2: ("ChaCha20-Poly1305", ChaCha20Poly1305)}


def data_key(subject_key, alg_id, subject, version):
    s = subject.encode()
    info = b"custodian.v1.data-key" + bytes([alg_id, len(s)]) + s + version.to_bytes(4, "big")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"custodian.v1.data-key-salt", info=info).derive(subject_key)


def context_digest(record, field, category):
    h = hashlib.sha256(b"custodian.v1.context")
    for name in (record, field, category):
        b = name.encode()
        h.update(bytes([len(b)]) + b)
    return h.digest()[:16]


def seal(subject_key, alg_id, subject, version, nonce, record, field, category, plaintext):
    s = subject.encode()
    header = bytes([1, alg_id, len(s)]) + s + version.to_bytes(4, "big") + nonce
    aad = bytes([1, alg_id]) + context_digest(record, field, category)
    key = data_key(subject_key, alg_id, subject, version)
    return header + ALGS[alg_id][1](key).encrypt(nonce, plaintext, aad)


CASES = [
    ("empty string, AES", 1, bytes(range(32)), "cus_0001", 1, bytes(12), "customer", "email", "user.contact.email", b""),
    ("email, AES", 1, bytes(range(32)), "cus_0001", 1, bytes.fromhex("0102030405060708090a0b0c"), "customer", "email", "user.contact.email", b"alice@example.com"),
    ("phone, key version 7, AES", 1, bytes([0xAA] * 32), "7f1c2b9e-0d4e-4f3a-9c61-2b8d5e0a1f33", 7, bytes.fromhex("ffffffffffffffff00000000"), "customer", "phone", "user.contact.phone_number", b"+15550100"),
    ("date of birth as i32 days, ChaCha20", 2, bytes(range(32, 64)), "cus_0002", 1, bytes.fromhex("a1a2a3a4a5a6a7a800000001"), "patient", "dob", "user.demographic.date_of_birth", (726_000).to_bytes(4, "big")),
    ("100 bytes of a support ticket, ChaCha20", 2, bytes([0x5A] * 32), "c", 4294967295, bytes.fromhex("000000000000000100000002"), "ticket", "body", "user.content.private", bytes(range(100))),
]

vectors = []
for name, alg, sk, subject, version, nonce, record, field, category, pt in CASES:
    vectors.append({
        "name": name,
        "algorithm": ALGS[alg][0],
        "subject_key": sk.hex(),
        "subject": subject,
        "key_version": version,
        "nonce": nonce.hex(),
        "record": record,
        "field": field,
        "category": category,
        "plaintext": pt.hex(),
        "data_key": data_key(sk, alg, subject, version).hex(),
        "context_digest": context_digest(record, field, category).hex(),
        "sealed": seal(sk, alg, subject, version, nonce, record, field, category, pt).hex(),
    })
print(json.dumps({"format": "custodian sealed v1", "vectors": vectors}, indent=2))
