"""deploy/nginx.conf run privately (no root paths, a self-signed certificate for 127.0.0.1):
for the test that restarts instances behind it and for ``make bench``, which measures the plan
page as a phone meets it in production (HTTPS and HTTP/2 through this very file)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_conf(directory: Path, ports: list[int], http_port: int, https_port: int) -> Path:
    """deploy/nginx.conf as it is, with this test's ports, name and certificate, inside the
    few lines a private nginx needs (its own pid file, logs and temp folders); its error log at
    level "warn" (printed by the test), to see why a request failed."""
    cert, key = self_signed(directory)
    site = DEPLOY.read_text()
    site = site.replace("127.0.0.1:8001", f"127.0.0.1:{ports[0]}")
    site = site.replace("127.0.0.1:8002", f"127.0.0.1:{ports[1]}")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    site = site.replace("tryg.example", "127.0.0.1")
    site = site.replace("/etc/ssl/tryg/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/tryg/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/tryg-error.log crit", f"{directory / 'error.log'} warn")
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n{temp}\n{site}\n}}\n"
    )
    return conf


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def runnable() -> bool:
    """Whether nginx is installed and starts (``nginx -v``)."""
    try:
        subprocess.run([NGINX, "-v"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


@contextmanager
def running(directory: Path, ports: list[int], http_port: int, https_port: int) -> Iterator[Path]:
    """nginx with :func:`nginx_conf` until the block ends; yields its error log's path."""
    conf = nginx_conf(directory, ports, http_port, https_port)
    log = directory / "error.log"
    nginx = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(directory), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(https_port)
        yield log
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
