"""The signed Open Badges credential: JCS, the eddsa-jcs-2022 proof, the standalone verifier."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ewtp.learning import credentials


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_jcs_sorts_keys_by_utf16_and_writes_the_minimal_form() -> None:
    value = {
        "b": [1, True, None, "x"],
        "a": {"é": "ü", "z": -5},
        "\u20ac": 1,
        "\U0001f600": 2,
        "\ufb33": 3,
    }
    # U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 in UTF-16.
    assert (
        credentials.canonicalize(value)
        == ('{"a":{"z":-5,"é":"ü"},"b":[1,true,null,"x"],"€":1,"\U0001f600":2,"\ufb33":3}').encode()
    )


def test_jcs_escapes_like_rfc_8785() -> None:
    text = 'quote " backslash \\ tab \t newline \n bell \x07 del \x7f'
    assert credentials.canonicalize(text) == (
        b'"quote \\" backslash \\\\ tab \\t newline \\n bell \\u0007 del \x7f"'
    )


def test_jcs_refuses_floats_and_big_integers() -> None:
    with pytest.raises(TypeError):
        credentials.canonicalize({"a": 1.5})
    with pytest.raises(ValueError):
        credentials.canonicalize(2**60)


def test_base58btc_round_trip() -> None:
    for data in [b"", b"\0\0abc", bytes(range(64))]:
        assert credentials.base58btc_decode(credentials.base58btc_encode(data)) == data
    assert credentials.base58btc_encode(b"hello world") == "StV1DL6CwTryKyV"


def _signed(key: Ed25519PrivateKey) -> dict:
    unsigned = credentials.open_badge_credential(
        credential_id="urn:uuid:3f2c9a58-7d1e-4c0b-9a64-2b8e5d17c0aa",
        issuer={"id": "https://ewtp.example/learn/issuer", "type": ["Profile"], "name": "eWTP"},
        valid_from="2027-01-15T09:00:00Z",
        name="Export readiness: certificate",
        description="Awarded to Aline Uwase.",
        achievement={
            "id": "https://ewtp.example/learn/courses/export-readiness/",
            "type": ["Achievement"],
            "name": "Export readiness",
            "description": "HS codes, landed cost, papers, pricing.",
            "criteria": {"narrative": "Every lesson and quiz."},
        },
        recipient_email="aline@example.org",
        recipient_name="Aline Uwase",
        salt="0011223344556677",
        status_url="https://ewtp.example/api/v1/certificates/ABCDEFGHJKM",
        evidence_url="https://ewtp.example/learn/certificates/ABCDEFGHJKM/",
    )
    return credentials.sign_credential(
        unsigned,
        sign=key.sign,
        verification_method="https://ewtp.example/learn/issuer#k1",
        created="2027-01-15T09:00:00Z",
    )


def test_the_credential_has_the_open_badges_shape() -> None:
    document = _signed(Ed25519PrivateKey.generate())
    assert document["@context"] == [credentials.CONTEXT_VC_V2, credentials.CONTEXT_OB_V3]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"]["type"] == ["Profile"]
    subject = document["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["achievement"]["type"] == ["Achievement"]
    assert (
        subject["identifier"][0]["identityHash"]
        == "sha256$" + hashlib.sha256(b"aline@example.org0011223344556677").hexdigest()
    )
    assert document["credentialStatus"] == {
        "id": "https://ewtp.example/api/v1/certificates/ABCDEFGHJKM",
        "type": "EwtpCertificateStatus",
    }
    proof = document["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == "https://ewtp.example/learn/issuer#k1"
    assert proof["proofValue"].startswith("z")


def test_the_proof_value_is_the_signature_over_both_hashes() -> None:
    key = Ed25519PrivateKey.generate()
    document = _signed(key)
    proof = dict(document["proof"])
    signature = credentials.base58btc_decode(proof.pop("proofValue")[1:])
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {**proof, "@context": document["@context"]}
    message = (
        hashlib.sha256(credentials.canonicalize(config)).digest()
        + hashlib.sha256(credentials.canonicalize(unsecured)).digest()
    )
    key.public_key().verify(signature, message)  # raises if not


def test_verifies_with_the_public_key_alone_and_survives_a_json_round_trip() -> None:
    key = Ed25519PrivateKey.generate()
    document = json.loads(json.dumps(_signed(key), indent=4, sort_keys=False))
    reordered = dict(reversed(list(document.items())))
    assert credentials.verify_credential(document, _raw(key))
    assert credentials.verify_credential(reordered, _raw(key))


def test_another_key_fails() -> None:
    document = _signed(Ed25519PrivateKey.generate())
    assert not credentials.verify_credential(document, _raw(Ed25519PrivateKey.generate()))


def test_one_byte_changed_anywhere_fails() -> None:
    key = Ed25519PrivateKey.generate()
    document = _signed(key)
    text = json.dumps(document, ensure_ascii=False)
    name_at = text.index("Aline Uwase")
    for index in [name_at, text.index("2027-01-15"), text.index("Export readiness")]:
        changed = text[:index] + chr(ord(text[index]) + 1) + text[index + 1 :]
        assert not credentials.verify_credential(json.loads(changed), _raw(key))
    tampered = copy.deepcopy(document)
    tampered["proof"]["created"] = "2027-01-15T09:00:01Z"
    assert not credentials.verify_credential(tampered, _raw(key))
    flipped = copy.deepcopy(document)
    value = flipped["proof"]["proofValue"]
    flipped["proof"]["proofValue"] = value[:-1] + ("2" if value[-1] != "2" else "3")
    assert not credentials.verify_credential(flipped, _raw(key))


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"proof": "x"},
        {"proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}},
        {
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "proofPurpose": "assertionMethod",
                "proofValue": "z0OIl",
            }
        },
        {
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "proofPurpose": "assertionMethod",
                "proofValue": "zabc",
            },
            "x": 1.5,
        },
    ],
)
def test_malformed_documents_are_simply_not_valid(broken: dict) -> None:
    assert credentials.verify_credential(broken, _raw(Ed25519PrivateKey.generate())) is False
