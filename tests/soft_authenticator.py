"""A software WebAuthn authenticator for fast tests (the browser tests use Chromium's own).

It produces the same JSON a browser's ``credential.toJSON()`` does, with knobs for everything an
attacker or a broken authenticator could change: origin, RP ID, UV/UP/BE/BS flags, sign count.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str = "http://testserver"
    rp_id: str = "localhost"
    user_verified: bool = True
    user_present: bool = True
    backup_eligible: bool = False
    backed_up: bool = False
    counter_step: int = 1
    passkeys: list[SoftPasskey] = field(default_factory=list)

    def _flags(self, attested: bool) -> int:
        flags = 0
        if self.user_present:
            flags |= 0x01
        if self.user_verified:
            flags |= 0x04
        if self.backup_eligible:
            flags |= 0x08
        if self.backed_up:
            flags |= 0x10
        if attested:
            flags |= 0x40
        return flags

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def create(
        self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.create`` for the JSON options the server sent."""
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose_key = {
            1: 2,
            3: -7,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        credential_id = os.urandom(32)
        rp_hash = hashlib.sha256((rp_id or options["rp"]["id"]).encode()).digest()
        auth_data = (
            rp_hash
            + bytes([self._flags(True)])
            + struct.pack(">I", 0)
            + b"\x00" * 16
            + struct.pack(">H", len(credential_id))
            + credential_id
            + cbor2.dumps(cose_key)
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        passkey = SoftPasskey(credential_id, key, unb64u(options["user"]["id"]))
        self.passkeys.append(passkey)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64u(credential_id),
            "rawId": b64u(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(client_data),
                "attestationObject": b64u(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        passkey: SoftPasskey | None = None,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        sign_count: int | None = None,
        user_handle: bytes | None = None,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.get`` with a discoverable credential."""
        passkey = passkey or self.passkeys[-1]
        if sign_count is None:
            passkey.sign_count += self.counter_step
            sign_count = passkey.sign_count
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([self._flags(False)]) + struct.pack(">I", sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = passkey.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64u(passkey.credential_id),
            "rawId": b64u(passkey.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(client_data),
                "authenticatorData": b64u(auth_data),
                "signature": b64u(signature),
                "userHandle": b64u(user_handle if user_handle is not None else passkey.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
