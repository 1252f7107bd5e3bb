"""The log written offline (issue 16 point 5): what the phone sends once it is online again.

The phone's side is sealed here as ``static/js/offline.js`` does it (ECDH P-256 with a fresh key
pair, HKDF-SHA256, AES-GCM) to the key the log page carries; the browser test
(tests/browser/test_diary_offline.py) does the same in real Chromium.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import select

from app import db
from app.clock import now
from app.diary.forms import local_input
from app.diary.models import DiaryEntry
from app.diary.offline import AAD, INFO
from app.phone.worker import worker_script
from app.settings import DEFAULT_DATA_KEY
from tests.factories import engine_of, make_victim, signed_in
from tests.factories import form as post

SECRET = "Han holdt ved Æblehaven igen, mens jeg var offline"
KEY = "offline-key-0123456789"
UNREADABLE = "Notatet, der blev skrevet offline, kunne ikke læses. Skriv det igen."


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def page_key(client) -> tuple[str, str]:
    page = client.get("/diary").text
    kid = re.search(r'data-seal-kid="([0-9a-f]{8})"', page)
    key = re.search(r'data-seal-key="([A-Za-z0-9_-]+)"', page)
    assert kid and key, page
    return kid.group(1), key.group(1)


def sealed(client, values: object, aad: bytes = AAD) -> dict[str, str]:
    """What the phone sends: ``values`` sealed to the page's key, with the key's id."""
    kid, key = page_key(client)
    server = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    )
    mine = ec.generate_private_key(ec.SECP256R1())
    epk = mine.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = mine.exchange(ec.ECDH(), server)
    aes = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk, info=INFO).derive(shared)
    iv = os.urandom(12)
    plain = values if isinstance(values, bytes) else json.dumps(values).encode()
    data = AESGCM(aes).encrypt(iv, plain, aad)
    return {"form_key": KEY, "kid": kid, "epk": b64(epk), "iv": b64(iv), "data": b64(data)}


def written(minutes_ago: int = 30) -> str:
    return local_input(now() - timedelta(minutes=minutes_ago))


def entries(client) -> list[DiaryEntry]:
    with db.read_session(engine_of(client)) as s:
        return list(s.exec(select(DiaryEntry)).all())


@pytest.fixture
def victim_client(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    return client


def test_a_sealed_entry_arrives_once_with_the_time_she_wrote_it(victim_client):
    c = victim_client
    when = written(90)
    body = sealed(c, {"what": SECRET, "when": when, "place": "Torvet", "key_example": "1"})
    first = post(c, "/diary/offline", **body)
    assert first.status_code == 200, first.text
    again = post(c, "/diary/offline", **body)  # the answer was lost: the phone sends it again
    assert again.status_code == 200 and again.json() == first.json()
    (entry,) = entries(c)
    assert (entry.what, entry.place, entry.key_example) == (SECRET, "Torvet", True)
    assert local_input(entry.happened_at) == when
    assert first.json() == {"entry": entry.id}
    assert SECRET in c.get("/diary").text


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"form_key": ""}, id="no-key"),
        pytest.param({"form_key": "short"}, id="bad-key"),
        pytest.param({"kid": "00000000"}, id="unknown-key-id"),
        pytest.param({"kid": ""}, id="no-key-id"),
        pytest.param({"epk": "!!not base64!!"}, id="junk-epk"),
        pytest.param({"epk": b64(b"\x04" + b"\x01" * 64)}, id="epk-off-the-curve"),
        pytest.param({"iv": b64(b"short")}, id="short-iv"),
        pytest.param({"data": ""}, id="no-data"),
        pytest.param({"data": b64(b"x" * 40)}, id="tampered-data"),
    ],
)
def test_a_broken_send_is_refused_in_danish(victim_client, change):
    c = victim_client
    body = sealed(c, {"what": SECRET, "when": written()}) | change
    r = post(c, "/diary/offline", **body)
    assert r.status_code == 400 and UNREADABLE in r.text
    assert entries(c) == []


def test_a_body_over_the_limit_is_refused(victim_client):
    c = victim_client
    body = sealed(c, {"what": SECRET, "when": written()}) | {"data": "A" * 70_000}
    r = post(c, "/diary/offline", **body)
    assert r.status_code == 413 and 'lang="da"' in r.text
    assert entries(c) == []


def test_missing_fields_are_refused_in_danish(victim_client):
    c = victim_client
    r = post(c, "/diary/offline", form_key=KEY)
    assert r.status_code == 400 and UNREADABLE in r.text
    assert entries(c) == []


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(b"\xff\xfe not json", id="not-utf8"),
        pytest.param(b"{not json", id="not-json"),
        pytest.param(["what", SECRET], id="a-list"),
        pytest.param({"what": 7, "when": "2026-01-01T10:00"}, id="a-number"),
        pytest.param({"what": None}, id="null"),
    ],
)
def test_what_opens_but_is_no_entry_is_refused_in_danish(victim_client, values):
    c = victim_client
    r = post(c, "/diary/offline", **sealed(c, values))
    assert r.status_code == 400 and UNREADABLE in r.text
    assert entries(c) == []


def test_sealed_with_another_purpose_does_not_open(victim_client):
    c = victim_client
    r = post(c, "/diary/offline", **sealed(c, {"what": SECRET, "when": written()}, aad=b"x"))
    assert r.status_code == 400 and UNREADABLE in r.text


def test_a_control_character_inside_is_refused(victim_client):
    c = victim_client
    r = post(c, "/diary/offline", **sealed(c, {"what": "a\x00b", "when": written()}))
    assert r.status_code == 400
    assert entries(c) == []


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"what": "  ", "when": "x"}, "what", "Skriv, hvad der skete."),
        ({"what": SECRET, "when": "i går"}, "when", "Skriv dato og klokkeslæt"),
        ({"what": SECRET}, "when", "Skriv dato og klokkeslæt"),
        ({"what": "x" * 5001, "when": "2026-01-01T10:00"}, "what", "højst være 5000 tegn"),
    ],
)
def test_an_entry_the_form_would_refuse_gets_the_danish_message(
    victim_client, values, field, message
):
    c = victim_client
    r = post(c, "/diary/offline", **sealed(c, values))
    assert r.status_code == 422
    assert message in r.json()["errors"][field]
    assert entries(c) == []


def test_a_time_ahead_of_the_server_is_refused(victim_client):
    c = victim_client
    r = post(c, "/diary/offline", **sealed(c, {"what": SECRET, "when": written(-60)}))
    assert r.status_code == 422 and "ikke kommet endnu" in r.json()["errors"]["when"]


def test_without_the_csrf_token_nothing_is_saved(victim_client):
    c = victim_client
    body = sealed(c, {"what": SECRET, "when": written()})
    r = c.post("/diary/offline", data=body, follow_redirects=False)
    assert r.status_code == 403
    assert entries(c) == []


def test_what_a_phone_sealed_before_a_data_key_rotation_still_arrives(client, make_client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    body = sealed(client, {"what": SECRET, "when": written()})
    new_key = base64.urlsafe_b64encode(b"n" * 32).decode()
    rotated = make_client(data_key=new_key, data_keys_old=(DEFAULT_DATA_KEY,))
    signed_in(rotated, victim)
    assert page_key(rotated)[0] != body["kid"]  # pages now carry the new key
    r = post(rotated, "/diary/offline", **body)
    assert r.status_code == 200, r.text
    assert [e.what for e in entries(rotated)] == [SECRET]


def test_the_unlock_screen_seals_to_the_same_key_and_a_new_data_key_makes_a_new_worker(
    victim_client, settings
):
    c = victim_client
    kid, key = page_key(c)
    offline_page = c.get("/offline").text
    assert f'data-seal-kid="{kid}"' in offline_page and f'data-seal-key="{key}"' in offline_page
    assert "data-queue-always" in offline_page
    new_key = base64.urlsafe_b64encode(b"n" * 32).decode()
    old_version = worker_script(settings)[1]
    assert worker_script(dataclasses.replace(settings, data_key=new_key))[1] != old_version
