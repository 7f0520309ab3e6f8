"""A real RFC 3161 time-stamping authority for the tests: ``openssl ts -reply`` behind a
small HTTP server on 127.0.0.1, with its own CA and TSA certificate made by the test.

``mode`` switches what it answers: "ok" (a token for the query), "wrong" (a token for
another message: the client must refuse it), "down" (HTTP 503).
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.config import Settings

__all__ = ["TestTsa", "running_tsa", "stamping_settings", "tsa"]

_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificates(folder: Path) -> None:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Casefile test CA")).issuer_name(_name("Casefile test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (x509.CertificateBuilder().subject_name(_name("Casefile test TSA")).issuer_name(ca.subject)
           .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                        data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                        crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
           .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.key").write_bytes(tsa_key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(_CONFIG.format(dir=folder))


@dataclass
class TestTsa:
    """The running TSA: its URL, its CA certificate (to trust), what it answers, what it got."""

    url: str
    ca_file: Path
    folder: Path
    mode: str = "ok"
    queries: list[bytes] = field(default_factory=list)

    def reply(self, query: bytes) -> bytes:
        """``openssl ts -reply`` to ``query`` (or, in "wrong" mode, to a query for other bytes)."""
        with tempfile.TemporaryDirectory(dir=self.folder) as work:
            tsq, tsr = Path(work) / "q.tsq", Path(work) / "r.tsr"
            if self.mode == "wrong":
                other = Path(work) / "other.txt"
                other.write_bytes(b"a different message")
                subprocess.run(["openssl", "ts", "-query", "-data", str(other), "-sha256", "-cert", "-out", str(tsq)],
                               check=True, capture_output=True)
            else:
                tsq.write_bytes(query)
            subprocess.run(["openssl", "ts", "-reply", "-config", str(self.folder / "tsa.cnf"), "-queryfile",
                            str(tsq), "-out", str(tsr)], check=True, capture_output=True)
            return tsr.read_bytes()


@contextmanager
def running_tsa(tmp_path: Path) -> Iterator[TestTsa]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path / "tsa"
    folder.mkdir()
    _certificates(folder)
    tsa = TestTsa(url="", ca_file=folder / "ca.pem", folder=folder)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            tsa.queries.append(query)
            if tsa.mode == "down":
                self.send_response(503)
                self.end_headers()
                return
            body = tsa.reply(query)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tsa
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[TestTsa]:
    """A running TSA for one test (import this fixture into the test module)."""
    with running_tsa(tmp_path) as server:
        yield server


def stamping_settings(tmp_path: Path, server: TestTsa) -> Settings:
    """Settings of a fresh archive in ``tmp_path`` that has its checkpoints time-stamped by ``server``."""
    return Settings(data=tmp_path / "data", actor="tester", timezone="Europe/London", tsa_url=server.url,
                    tsa_ca_file=server.ca_file)
