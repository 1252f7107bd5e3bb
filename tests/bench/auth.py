"""Sign-in costs: passkey verification (py_webauthn) and argon2id hashing.

Baselines from the same run: a bare ECDSA P-256 verify (what a passkey check cannot go below),
and argon2id at RFC 9106's stronger setting, to show what the chosen parameters trade.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

import argon2
import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn import generate_authentication_options, verify_authentication_response
from webauthn.helpers import base64url_to_bytes, options_to_json

from app.auth import passwords
from tests.bench.harness import Column, Config, SectionResult
from tests.bench.load import Generator
from tests.soft_authenticator import SoftAuthenticator

COLUMNS = [
    Column("what", "what", align="<"),
    Column("median_ms", "median ms", "{:.3f}"),
    Column("p90_ms", "p90 ms", "{:.3f}"),
    Column("runs", "runs", "{:,}"),
    Column("per_second", "per core per s", "{:,.0f}"),
]


def timed(label: str, fn: Callable[[], object], runs: int) -> dict[str, object]:
    fn()  # warm
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    median = statistics.median(samples)
    return {
        "what": label,
        "median_ms": round(median, 4),
        "p90_ms": round(statistics.quantiles(samples, n=10)[-1], 4),
        "runs": runs,
        "per_second": round(1000 / median) if median else None,
    }


def _passkey_verify() -> Callable[[], object]:
    """A real assertion from the soft authenticator, verified as the sign-in route does."""
    auth = SoftAuthenticator(origin="http://localhost:8000")
    auth.create({"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAA"})
    numbers = auth.passkeys[-1].private_key.public_key().public_numbers()
    cose_key = cbor2.dumps(
        {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    )
    options = json.loads(options_to_json(generate_authentication_options(rp_id="localhost")))
    challenge = base64url_to_bytes(options["challenge"])
    credential = auth.get(options, sign_count=0)

    def verify() -> object:
        return verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id="localhost",
            expected_origin="http://localhost:8000",
            credential_public_key=cose_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )

    return verify


def _bare_ecdsa() -> Callable[[], object]:
    key = ec.generate_private_key(ec.SECP256R1())
    data = b"x" * 100
    signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    return lambda: public.verify(signature, data, ec.ECDSA(hashes.SHA256()))


def run(config: Config, generator: Generator) -> SectionResult:
    stored = passwords.hash_password("en lang og god sætning 42")
    strong = argon2.PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
    rows = [
        timed("baseline: bare ECDSA P-256 verify", _bare_ecdsa(), 500),
        timed("passkey sign-in verify (py_webauthn, ES256)", _passkey_verify(), 500),
        timed(
            f"argon2id hash, chosen (m={passwords.MEMORY_KIB} KiB, t={passwords.TIME_COST})",
            lambda: passwords.hash_password("en lang og god sætning 42"),
            15,
        ),
        timed(
            "argon2id verify, chosen",
            lambda: passwords.verify("en lang og god sætning 42", stored),
            15,
        ),
        timed(
            "reference: argon2id m=65536 KiB, t=3 (RFC 9106 option 2)",
            lambda: strong.hash("en lang og god sætning 42"),
            8,
        ),
    ]
    section = SectionResult("auth", "Sign-in costs (in process, one core)", COLUMNS, rows)
    section.notes.append("passkey verify = parse + clientData/authData checks + signature")
    section.notes.append(
        "unknown user names are verified against a dummy hash: same cost as a known one"
    )
    return section
