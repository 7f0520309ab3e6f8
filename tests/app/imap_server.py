"""A real IMAP server for the tests: Debian's Dovecot, unprivileged, in a temp dir with its own config.

``running_dovecot()`` starts ``dovecot -F -c <tmp>/dovecot.conf`` listening on 127.0.0.1 only:
a plain port (STARTTLS offered) and an IMAPS port, with a self-signed certificate made for
the run. Any user name signs in with ``PASSWORD`` (a static passdb), each with its own
maildir, so every test takes a fresh account instead of a fresh server.

Dovecot runs as the current user (its rootless mode: no chroot, no privilege changes); as
root it runs as ``nobody`` instead, because Dovecot refuses to serve mail as root.

``CuttingProxy`` sits between a client and the server and drops the connection once the
server has sent a given number of message bodies: a server that goes away mid-import.
"""

from __future__ import annotations

import grp
import os
import pwd
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from itertools import count
from pathlib import Path

import pytest
from imapclient import IMAPClient

__all__ = ["HOST", "PASSWORD", "CuttingProxy", "ImapServer", "dovecot_binary", "message", "running_dovecot"]

HOST = "127.0.0.1"
PASSWORD = "Imap-pw-9fQ2!x"  # unusual enough to find anywhere it leaks
_accounts = count(1)


def dovecot_binary() -> str:
    """The dovecot program; the test is skipped (with the reason) if it is not installed."""
    found = shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None)
    if found is None:
        pytest.skip("dovecot is not installed (Debian: apt-get install dovecot-imapd; `make setup` does it)")
    return found


@dataclass
class ImapServer:
    """A running Dovecot: its two ports, the certificate to trust, and helpers to fill mailboxes."""

    root: Path
    plain_port: int
    tls_port: int
    ca_file: Path
    log: Path
    process: subprocess.Popen[bytes]

    def new_account(self) -> str:
        """A user name no other test uses (its mailbox starts empty)."""
        return f"user{next(_accounts)}-{os.getpid()}"

    @contextmanager
    def connect(self, user: str) -> Iterator[IMAPClient]:
        imap = IMAPClient(HOST, port=self.plain_port, ssl=False, timeout=10)
        try:
            imap.login(user, PASSWORD)
            yield imap
        finally:
            try:
                imap.logout()
            except Exception:  # noqa: BLE001 (a test that cut the connection on purpose)
                pass

    def append(self, user: str, messages: Sequence[bytes], folder: str = "INBOX",
               received: Sequence[datetime | None] | None = None) -> None:
        """APPENDs ``messages`` (their INTERNALDATE from ``received``), oldest UID first."""
        with self.connect(user) as imap:
            if not imap.folder_exists(folder):
                imap.create_folder(folder)
            for i, raw in enumerate(messages):
                imap.append(folder, raw, msg_time=received[i] if received else None)

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.connect(user) as imap:
            imap.select_folder(folder, readonly=True)
            return {uid: v[b"FLAGS"] for uid, v in imap.fetch(imap.search(), ["FLAGS"]).items()}


def message(n: int, *, subject: str | None = None, attachment: bytes | None = None, date: str | None = None) -> bytes:
    """A mail from the client to us, with CRLF line ends, as a server stores and returns it."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Greg Holt <greg@northwind-retail.example>"
    msg["To"] = "Dana Whitfield <dana@whitfield-digital.example>"
    msg["Subject"] = subject or f"Staging feedback, round {n}"
    msg["Date"] = date or f"Mon, {n:02d} Jun 2024 10:{n:02d}:00 +0100"
    msg["Message-ID"] = f"<feedback-{n}-{os.getpid()}@northwind-retail.example>"
    msg.set_content(f"Dana,\n\nRound {n} of feedback on the staging site. Please fix by Friday.\n\nGreg\n")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="octet-stream", filename=f"notes-{n}.bin")
    return msg.as_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _config(root: Path, user: str, group: str, uid: int, gid: int, plain: int, tls: int) -> str:
    return f"""\
protocols = imap
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
instance_name = casefile-test-{root.name}
log_path = {root}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
first_valid_gid = 1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {plain}
  }}
  inet_listener imaps {{
    port = {tls}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # no auth penalty: after the wrong-password test Dovecot would delay every login from
  # 127.0.0.1 by 4 s and more (login_trusted_networks does not lift it in 2.3)
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  chroot =
}}
"""


def _wait_for(server: ImapServer, deadline: float) -> None:
    for port in (server.plain_port, server.tls_port):
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"dovecot exited ({server.process.returncode}): {_log_tail(server.log)}")
            try:
                with socket.create_connection((HOST, port), timeout=1) as s:
                    if port == server.plain_port:
                        assert s.recv(4).startswith(b"* OK")
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dovecot did not listen on {port}: {_log_tail(server.log)}") from None
                time.sleep(0.02)


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@contextmanager
def running_dovecot() -> Iterator[ImapServer]:
    """A Dovecot serving 127.0.0.1 from a fresh temp dir, stopped and removed afterwards."""
    binary = dovecot_binary()
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed for the test server's certificate)")
    # not pytest's tmp_path: its path can be too long for Dovecot's unix sockets (108 bytes)
    root = Path(tempfile.mkdtemp(prefix="cf-imap-"))
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"), "-days", "2", "-subj", "/CN=localhost",
             "-addext", f"subjectAltName=DNS:localhost,IP:{HOST}"],
            check=True, capture_output=True,
        )
        (root / "mail").mkdir()
        if os.geteuid() == 0:
            runner = pwd.getpwnam("nobody")
            for path in [root, *root.rglob("*")]:
                os.chown(path, runner.pw_uid, runner.pw_gid)
        else:
            runner = pwd.getpwuid(os.geteuid())
        os.chmod(root, 0o700)
        group = _group_name(runner.pw_gid)
        plain, tls = _free_port(), _free_port()
        (root / "dovecot.conf").write_text(
            _config(root, runner.pw_name, group, runner.pw_uid, runner.pw_gid, plain, tls)
        )
        as_runner = {"user": runner.pw_uid, "group": runner.pw_gid, "extra_groups": []} if os.geteuid() == 0 else {}
        process = subprocess.Popen(
            [binary, "-F", "-c", str(root / "dovecot.conf")], cwd=root, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_runner,  # type: ignore[arg-type]
        )
        server = ImapServer(root, plain, tls, root / "cert.pem", root / "dovecot.log", process)
        try:
            _wait_for(server, time.monotonic() + 10)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


@dataclass
class CuttingProxy:
    """Forwards 127.0.0.1:``port`` to the server, and drops the connection (both ways) just
    before the server's ``bodies + 1``-th message body would reach the client."""

    upstream_port: int
    bodies: int
    port: int = 0
    cut: threading.Event = field(default_factory=threading.Event)
    _listener: socket.socket | None = None
    _thread: threading.Thread | None = None

    def __enter__(self) -> CuttingProxy:
        self._listener = socket.create_server((HOST, 0))
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._listener is not None and self._thread is not None
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        assert self._listener is not None
        try:
            downstream, _ = self._listener.accept()
        except OSError:
            return
        upstream = socket.create_connection((HOST, self.upstream_port))
        seen = 0
        try:
            while True:
                ready, _, _ = select.select([downstream, upstream], [], [], 10)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is upstream:
                        # the client waits for each FETCH before the next: one reply per read
                        seen += data.count(b"BODY[]")
                        if seen > self.bodies:
                            self.cut.set()
                            return
                        downstream.sendall(data)
                    else:
                        upstream.sendall(data)
        finally:
            for sock in (downstream, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
