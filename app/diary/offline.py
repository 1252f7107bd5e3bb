"""Written offline (issue 16 point 5): an entry the phone sealed while it had no network.

The phone seals the quick entry to the *server's* public key before it touches IndexedDB, and
sends the sealed bytes as they are when it is online again (``static/js/offline.js``):

    a fresh P-256 key pair on the phone (ECDH with the key below) → HKDF-SHA256 (salt: the
    phone's public key, info :data:`INFO`) → AES-256-GCM (additional data :data:`AAD`)

The server's key pair is derived from the data key (``TRYG_DATA_KEY``, HKDF with its own label),
so it needs no storage of its own and follows the data key's rotation: the old data keys
(``TRYG_DATA_KEYS_OLD``) still open what a phone sealed before a rotation. The pages carry the
public key and its id (:func:`seal_for`); the server opens the entry here and stores it like
any other entry, under the data key (``EncryptedText``).

Why not the offline copy's own key pair: its private key opens only with the victim's PIN, so
an entry sealed to it could be sent only after she typed the PIN again, and a phone without an
offline copy could not queue at all. Sealed to the server, the queue is sent by itself, and the
phone can never read it back — not with the PIN either, so whoever takes the phone learns
nothing from the queue but that it is there.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.datastructures import FormData
from starlette.requests import Request

from app import inputs, state
from app.diary.models import TEXT_FIELDS
from app.i18n import N_
from app.settings import Settings, decode_data_key

INFO = b"tryg offline diary v1"
AAD = b"diary.offline"
KEY_LABEL = b"tryg offline diary key v1"
# The order of P-256's group (a private scalar lies in 1 … ORDER - 1).
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
FIELDS = (*TEXT_FIELDS, "when", "key_example", "leave_out")
# No field of a send is longer than the body limit (TRYG_MAX_BODY_BYTES) lets through.
MAX_SEALED = 64 * 1024
_B64 = re.compile(r"[A-Za-z0-9_-]*")
UNREADABLE = N_("The entry written offline could not be read. Write it again.")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes | None:
    if len(text) > MAX_SEALED or not _B64.fullmatch(text):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


@functools.lru_cache(maxsize=8)
def _private_key(data_key: bytes) -> ec.EllipticCurvePrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=48, salt=None, info=KEY_LABEL).derive(data_key)
    return ec.derive_private_key(int.from_bytes(seed) % (ORDER - 1) + 1, ec.SECP256R1())


def _public_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _keys(settings: Settings) -> dict[str, ec.EllipticCurvePrivateKey]:
    """The current key pair first, then one per old data key, by id."""
    raw = [decode_data_key(settings.data_key)]
    raw += [decode_data_key(k, "TRYG_DATA_KEYS_OLD") for k in settings.data_keys_old]
    keys: dict[str, ec.EllipticCurvePrivateKey] = {}
    for data_key in raw:
        private = _private_key(data_key)
        keys.setdefault(hashlib.sha256(_public_bytes(private)).hexdigest()[:8], private)
    return keys


def seal_key(settings: Settings) -> dict[str, str]:
    """What a page needs to seal an entry offline: the key id and the public key (base64url)."""
    kid, private = next(iter(_keys(settings).items()))
    return {"kid": kid, "key": _b64(_public_bytes(private))}


def seal_for(request: Request) -> dict[str, str]:
    return seal_key(state.settings(request))


def _open(settings: Settings, form: FormData) -> bytes | None:
    parts = [form.get(name) for name in ("kid", "epk", "iv", "data")]
    if not all(isinstance(p, str) for p in parts):
        return None
    kid, *encoded = (str(p) for p in parts)
    private = _keys(settings).get(kid)
    epk, iv, data = (_unb64(text) for text in encoded)
    if private is None or epk is None or iv is None or not data or len(iv) != 12:
        return None
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk)
        shared = private.exchange(ec.ECDH(), peer)
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk, info=INFO).derive(shared)
        return AESGCM(key).decrypt(iv, data, AAD)
    except (ValueError, InvalidTag):
        return None


def opened(settings: Settings, form: FormData) -> FormData:
    """The entry's fields as a form (for ``clean_entry``); a Danish 400 for anything else."""
    plain = _open(settings, form)
    try:
        values: Any = json.loads(plain) if plain is not None else None
    except (UnicodeDecodeError, ValueError):
        values = None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise inputs.BadInput(UNREADABLE)
    return inputs.clean_form(FormData([(k, values[k]) for k in FIELDS if k in values]))
