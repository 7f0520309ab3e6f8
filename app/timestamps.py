"""Trusted time (RFC 3161) for checkpoints: a time-stamping authority's signed word that a
checkpoint existed at a moment, which nobody holding only the data folder can forge.

With ``CASEFILE_TSA_URL`` set, each checkpoint's signed statement is sent to the TSA (its
SHA-256, with a nonce); the reply is checked (status, the hash it covers, the nonce and,
with ``CASEFILE_TSA_CA_FILE``, the TSA's certificate chain) and kept with the checkpoint.
A TSA that cannot be reached never blocks an ingest: the checkpoint is kept "timestamp
pending" with the reason and asked again at the next checkpoint or ``casefile checkpoint``.
``openssl ts -verify -data statement -in token.tsr -CAfile tsa-ca.pem`` checks a token
without Casefile (a receipt carries both, see ``app.receipts``).
"""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.request
from pathlib import Path

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)
from sqlmodel import col, select

from .archive import Archive
from .models import CheckpointRow

__all__ = ["PENDING", "STAMPED", "TimestampProblem", "check_token", "request_timestamp", "stamp_pending"]

PENDING, STAMPED = "pending", "stamped"
_MAX_REPLY = 1 << 20  # a time-stamp reply is a few KB; more is not one
_PER_CALL = 20  # checkpoints sent to the TSA per call at most


class TimestampProblem(Exception):
    """The TSA could not be asked, or its answer is not a good token for what was asked."""


def _roots(ca_file: Path | None) -> list[x509.Certificate]:
    if ca_file is None:
        return []
    try:
        return x509.load_pem_x509_certificates(ca_file.read_bytes())
    except (OSError, ValueError) as exc:
        raise TimestampProblem(f"cannot read the TSA's CA certificate {ca_file}: {exc}") from None


def request_timestamp(statement: bytes, url: str, *, timeout: float = 10.0, ca_file: Path | None = None) -> bytes:
    """The TSA's reply (DER) for ``statement``, checked; ``TimestampProblem`` saying why not."""
    query = (TimestampRequestBuilder().data(statement).hash_algorithm(HashAlgorithm.SHA256).nonce(nonce=True)
             .cert_request(cert_request=True).build())
    request = urllib.request.Request(url, data=query.as_bytes(), method="POST",
                                     headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310  (the configured TSA)
            body = reply.read(_MAX_REPLY + 1)
    except urllib.error.HTTPError as exc:
        raise TimestampProblem(f"the TSA at {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise TimestampProblem(f"the TSA at {url} could not be reached ({reason})") from None
    if len(body) > _MAX_REPLY:
        raise TimestampProblem(f"the TSA at {url} sent over {_MAX_REPLY:,} bytes: not a time-stamp reply")
    response = _decoded(body)
    roots = _roots(ca_file)
    if roots:
        builder = VerifierBuilder.from_request(query)
        for root in roots:
            builder = builder.add_root_certificate(root)
        try:
            builder.build().verify_message(response, statement)
        except VerificationError as exc:
            raise TimestampProblem(f"the TSA's token was refused: {exc}") from None
    elif response.tst_info.nonce != query.nonce:
        raise TimestampProblem("the TSA's token was refused: it answers another request (nonce differs)")
    problem = _covers(response, statement)
    if problem:
        raise TimestampProblem(f"the TSA's token was refused: {problem}")
    return body


def _decoded(body: bytes) -> TimeStampResponse:
    try:
        response = decode_timestamp_response(body)
    except ValueError as exc:
        raise TimestampProblem(f"not a time-stamp reply ({exc})") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampProblem(f"the TSA refused to time-stamp (status {response.status})")
    return response


def _covers(response: TimeStampResponse, statement: bytes) -> str | None:
    """Why the token does not cover ``statement`` (by its SHA-256), or None when it does."""
    imprint = response.tst_info.message_imprint
    if imprint.message != hashlib.sha256(statement).digest():
        return "it is for other data (its hash is not the checkpoint's)"
    return None


def check_token(token_b64: str, statement: bytes, ca_file: Path | None) -> str | None:
    """Why a stored token does not time-stamp ``statement``, or None when it does (with
    ``ca_file``, the TSA's signature and certificate chain are checked too)."""
    try:
        response = _decoded(base64.b64decode(token_b64, validate=True))
    except (TimestampProblem, ValueError) as exc:
        return str(exc)
    problem = _covers(response, statement)
    if problem:
        return problem
    roots = _roots(ca_file)
    if roots:
        builder = VerifierBuilder()
        for root in roots:
            builder = builder.add_root_certificate(root)
        try:
            builder.build().verify_message(response, statement)
        except VerificationError as exc:
            return f"its signature does not verify ({exc})"
    return None


def token_time(token_b64: str) -> str:
    """When the TSA says it saw the data (ISO 8601, UTC)."""
    response = decode_timestamp_response(base64.b64decode(token_b64))
    return response.tst_info.gen_time.isoformat().replace("+00:00", "Z")


def stamp_pending(archive: Archive) -> list[str]:
    """Asks the TSA for the checkpoints without a token (newest first, ``_PER_CALL`` at most);
    returns what could not be done. Does nothing without ``CASEFILE_TSA_URL``. Never raises
    for the TSA's sake."""
    from .checkpoints import statement_of  # noqa: PLC0415  (checkpoints calls this module)

    settings = archive.settings
    if not settings.tsa_url:
        return []
    with archive.read() as session:
        # newest first, a few at a time: a later checkpoint covers every entry of an earlier
        # one, so after a long outage (or a TSA set on an old archive) the newest matters most
        rows = session.exec(select(CheckpointRow).where(col(CheckpointRow.timestamp_state) != STAMPED)
                            .order_by(col(CheckpointRow.tree_size).desc()).limit(_PER_CALL)).all()
    problems = []
    for row in rows:
        try:
            token = request_timestamp(statement_of(row), settings.tsa_url, timeout=settings.tsa_timeout,
                                      ca_file=settings.tsa_ca_file)
            values = {"timestamp_token": base64.b64encode(token).decode(), "timestamp_state": STAMPED,
                      "timestamp_error": ""}
        except TimestampProblem as exc:
            values = {"timestamp_state": PENDING, "timestamp_error": str(exc)[:500]}
            problems.append(f"checkpoint {row.id}: timestamp pending: {exc}")
        with archive.write("casefile") as uow:
            stored = uow.session.get(CheckpointRow, row.id)
            if stored is not None:
                for name, value in values.items():
                    setattr(stored, name, value)
                uow.session.add(stored)
        if problems:
            break  # the TSA is down: the next checkpoint asks again for all of them
    return problems
