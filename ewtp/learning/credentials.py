"""Open Badges 3.0 credentials signed with a Data Integrity proof, cryptosuite eddsa-jcs-2022.

Why JCS and not RDF canonicalisation (eddsa-rdfc-2022): JSON-LD canonicalisation needs a
document loader for the W3C and 1EdTech contexts, and a verifier then depends on fetching or
shipping them. The JSON Canonicalization Scheme (RFC 8785) needs nothing but the document, so a
certificate verifies offline with the issuer's public key alone. eddsa-jcs-2022 is the JSON
variant of the same W3C cryptosuite family (VC Data Integrity EdDSA Cryptosuites).

    proofConfig   = the proof without proofValue, with "@context" set to the credential's
    hashData      = SHA-256(JCS(proofConfig)) || SHA-256(JCS(credential without "proof"))
    proofValue    = "z" + base58btc(Ed25519 signature of hashData)

The JCS here covers the JSON subset the platform emits: objects with string keys, arrays,
strings, booleans, null and integers within +-2**53. Floats are refused rather than serialised
in a way another implementation might not reproduce.

This module imports nothing from Django or the platform: `verify_credential` is the standalone
verifier (copy this file and `cryptography`, give it the public key, done).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CONTEXT_VC_V2 = "https://www.w3.org/ns/credentials/v2"
CONTEXT_OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
SCHEMA_OB_V3 = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"
_MAX_SAFE_INTEGER = 2**53 - 1
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# -- JSON Canonicalization Scheme (RFC 8785), for the subset above --------------------------


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 form of a JSON value."""
    return _serialise(value).encode("utf-8")


def _serialise(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise ValueError("integers beyond 2**53 have no exact JSON number form")
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats are outside the canonical subset; use strings or integers")
    if isinstance(value, str):
        # json.dumps without ASCII escaping writes exactly JCS's string form: '"' and '\\'
        # escaped, \b \f \n \r \t short forms, other controls as lower-case \u00xx.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_serialise(item) for item in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError("object keys must be strings")
        # Members sorted by the UTF-16 code units of their names (RFC 8785 section 3.2.3).
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        return "{" + ",".join(f"{_serialise(key)}:{_serialise(value[key])}" for key in keys) + "}"
    raise TypeError(f"{type(value).__name__} is not a JSON value")


# -- base58btc ------------------------------------------------------------------------------


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = _B58_ALPHABET[remainder] + encoded
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + encoded


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58_ALPHABET.find(char)
        if index < 0:
            raise ValueError("not base58btc")
        number = number * 58 + index
    leading = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading + body


# -- the proof ------------------------------------------------------------------------------


def _hash_data(unsecured: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    config = dict(proof_config)
    config.pop("proofValue", None)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return (
        hashlib.sha256(canonicalize(config)).digest()
        + hashlib.sha256(canonicalize(unsecured)).digest()
    )


def sign_credential(
    credential: dict[str, Any],
    *,
    sign: Callable[[bytes], bytes],
    verification_method: str,
    created: str,
) -> dict[str, Any]:
    """The credential with an embedded DataIntegrityProof (eddsa-jcs-2022) added."""
    unsecured = copy.deepcopy(credential)
    unsecured.pop("proof", None)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    signature = sign(_hash_data(unsecured, proof))
    proof["proofValue"] = "z" + base58btc_encode(signature)
    return {**unsecured, "proof": proof}


def verify_credential(document: dict[str, Any], public_key_bytes: bytes) -> bool:
    """True when the document carries a valid eddsa-jcs-2022 proof by this Ed25519 key.

    Needs nothing but the document and the 32-byte raw public key: no network, no platform.
    Any malformed input is simply not valid. (Whether the credential is revoked is a separate
    question: ask the URL in its credentialStatus.)
    """
    try:
        if not isinstance(document, dict):
            return False
        proof = document.get("proof")
        if not isinstance(proof, dict):
            return False
        if (
            proof.get("type") != PROOF_TYPE
            or proof.get("cryptosuite") != CRYPTOSUITE
            or proof.get("proofPurpose") != PROOF_PURPOSE
        ):
            return False
        proof_value = proof.get("proofValue")
        if not isinstance(proof_value, str) or not proof_value.startswith("z"):
            return False
        signature = base58btc_decode(proof_value[1:])
        if len(signature) != 64:
            return False
        unsecured = {key: value for key, value in document.items() if key != "proof"}
        message = _hash_data(unsecured, proof)
        Ed25519PublicKey.from_public_bytes(public_key_bytes).verify(signature, message)
    except (InvalidSignature, ValueError, TypeError, RecursionError):
        return False
    return True


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 IdentityHash of an email address: sha256$hex(email + salt)."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def open_badge_credential(
    *,
    credential_id: str,
    issuer: dict[str, Any],
    valid_from: str,
    name: str,
    description: str,
    achievement: dict[str, Any],
    recipient_email: str,
    recipient_name: str,
    salt: str,
    status_url: str,
    evidence_url: str,
) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential (OB 3.0 on VC Data Model 2.0) for one achievement.

    The recipient has no DID: `identifier` carries the salted hash of their email (checkable by
    anyone who knows the address) and their name as printed on the certificate.
    """
    return {
        "@context": [CONTEXT_VC_V2, CONTEXT_OB_V3],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "awardedDate": valid_from,
        "name": name,
        "description": description,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": identity_hash(recipient_email, salt),
                    "salt": salt,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": recipient_name,
                },
            ],
            "achievement": achievement,
        },
        "credentialSchema": [{"id": SCHEMA_OB_V3, "type": "1EdTechJsonSchemaValidator2019"}],
        # The platform's own status endpoint: it answers valid or revoked, with the reason.
        "credentialStatus": {"id": status_url, "type": "EwtpCertificateStatus"},
        "evidence": [{"id": evidence_url, "type": ["Evidence"], "name": "Verification page"}],
    }
