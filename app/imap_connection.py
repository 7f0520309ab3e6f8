"""Talking to an IMAP server: where and how to connect, signing in, opening a folder, and
saying in one line (never with the password) what went wrong.

``app.imap_import`` uses these to import a folder; nothing here touches the archive.
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError

from .errors import MailServerProblem

__all__ = ["DEFAULT_PORTS", "MailServer", "Security", "close", "connect", "one_line", "open_folder", "scrub"]

Security = Literal["tls", "starttls", "none"]
DEFAULT_PORTS: dict[str, int] = {"tls": 993, "starttls": 143, "none": 143}
_COMMAND = re.compile(r"^command: \S+ => ")


@dataclass(frozen=True)
class MailServer:
    """Where to connect and how: ``security`` is tls (IMAPS), starttls, or none (plain text)."""

    host: str
    username: str
    port: int | None = None  # default: 993 for tls, 143 otherwise
    security: Security = "tls"
    ca_file: Path | None = None  # trust this certificate (a server's own) instead of the system's
    timeout: float = 60.0  # seconds without an answer before giving up

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port or DEFAULT_PORTS[self.security]}"


def connect(server: MailServer, password: str) -> IMAPClient:
    """A signed-in connection, or ``MailServerProblem`` saying in one line why not."""
    address = server.address
    context = _tls_context(server.ca_file) if server.security != "none" else None
    try:
        imap = IMAPClient(server.host, port=server.port or DEFAULT_PORTS[server.security],
                          ssl=server.security == "tls", ssl_context=context, timeout=server.timeout)
    except ssl.SSLCertVerificationError as exc:
        raise MailServerProblem(_untrusted(address, exc)) from None
    except ssl.SSLError as exc:
        raise MailServerProblem(f"TLS with {address} failed ({exc.reason or exc}): is {address} an IMAPS port? "
                                f"(IMAPS is 993; a server on 143 needs --starttls)") from None
    except (IMAPClientError, OSError) as exc:
        raise MailServerProblem(_unreachable(address, server, exc)) from None
    try:
        if server.security == "starttls":
            imap.starttls(context)
        imap.login(server.username, password)
    except CapabilityError:
        close(imap)
        raise MailServerProblem(f"{address} does not offer STARTTLS: its port for IMAPS (993) may work "
                                f"without --starttls") from None
    except ssl.SSLCertVerificationError as exc:
        close(imap)
        raise MailServerProblem(_untrusted(address, exc)) from None
    except LoginError as exc:
        close(imap)
        raise MailServerProblem(f"{address} refused the login of {server.username}: "
                                f"{scrub(exc, password)}") from None
    except (IMAPClientError, OSError) as exc:
        close(imap)
        raise MailServerProblem(f"{address} ended the session before the login completed: "
                                f"{scrub(exc, password)}") from None
    return imap


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    # Certificates and host names are always checked: a self-signed server is trusted by
    # naming its certificate (--ca-file), never by turning the check off.
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise MailServerProblem(f"cannot use {ca_file} as a CA certificate: {reason}") from None


def _untrusted(address: str, exc: ssl.SSLCertVerificationError) -> str:
    return (f"the certificate of {address} is not trusted ({exc.verify_message}); for a server with a "
            f"certificate of its own, give that certificate with --ca-file")


def _unreachable(address: str, server: MailServer, exc: Exception) -> str:
    if isinstance(exc, socket.gaierror):
        return f"cannot find the mail server {server.host} ({exc.strerror})"
    if isinstance(exc, ConnectionRefusedError):
        return (f"{address} refused the connection: no mail server listens there "
                f"(IMAPS is port 993; 143 with --starttls)")
    if isinstance(exc, TimeoutError):
        return f"no answer from {address} within {server.timeout:g} s"
    if isinstance(exc, IMAPClientError):
        return f"{address} closed the connection at once: {one_line(exc)}"
    return f"cannot connect to {address}: {getattr(exc, 'strerror', None) or exc}"


def close(imap: IMAPClient) -> None:
    try:
        imap.shutdown()
    except (IMAPClientError, OSError):
        pass


def open_folder(imap: IMAPClient, server: MailServer, password: str, folder: str) -> int:
    """Opens ``folder`` read-only (EXAMINE: the server changes nothing, flags included); its UIDVALIDITY."""
    try:
        info = imap.select_folder(folder, readonly=True)
    except IMAPClientAbortError as exc:
        raise MailServerProblem(f"{server.address} closed the connection: {scrub(exc, password)}") from None
    except IMAPClientError as exc:
        raise MailServerProblem(_no_folder(imap, server, folder, scrub(exc, password))) from None
    except OSError as exc:
        raise MailServerProblem(f"connection to {server.address} lost: {exc.strerror or exc}") from None
    uidvalidity = info.get(b"UIDVALIDITY")
    if not uidvalidity:
        raise MailServerProblem(f"{server.address} gives folder '{folder}' no UIDVALIDITY: its messages cannot "
                                "be told apart from one import to the next")
    return int(uidvalidity)


def _no_folder(imap: IMAPClient, server: MailServer, folder: str, reply: str) -> str:
    try:
        names = sorted(str(name) for _flags, _sep, name in imap.list_folders())
    except (IMAPClientError, OSError):
        return f"cannot open folder '{folder}' on {server.address}: {reply}"
    shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    return f"no folder '{folder}' on {server.address} ({reply}); its folders: {shown or 'none'}"


def scrub(exc: Exception, password: str) -> str:
    """An exception's text on one line, without the password (a server might echo it)."""
    text = one_line(exc)
    return text.replace(password, "***") if password else text


def one_line(exc: Exception) -> str:
    text = _COMMAND.sub("", str(exc))  # imaplib: "command: FETCH => socket error: EOF"
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):  # imaplib quotes the reply's bytes
        text = text[2:-1]
    return " ".join(text.split()) or type(exc).__name__
