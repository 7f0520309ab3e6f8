"""Importing one folder of an IMAP mailbox: each message's exact bytes, stored as an .eml.

Each message is downloaded with ``BODY.PEEK[]`` from a folder opened read-only (EXAMINE),
so nothing on the server changes, not even the \\Seen flag. Its bytes then take the path
every file takes (``ingest_bytes``: blob by SHA-256, custody entry, routing, reading), and
the search index catches up once at the end.

A message already in the archive is skipped, with a ``received-again`` custody entry naming
where it was seen: the same bytes (as a file, or as a message inside an mbox), or the same
Message-ID with the same bytes up to line endings (mbox files keep LF, IMAP sends CRLF).

How far an import got is kept per (host, user, folder) in ``imap_folder_state``: the
folder's UIDVALIDITY and the highest UID fully stored, written after each message. The
next import starts after that UID; if the server's UIDVALIDITY changed (its UIDs now name
other messages) it starts again from the first, and the skipping above keeps that from
storing anything twice. A connection lost half-way keeps everything stored before it.

The password is only ever handed to the server: it is not stored, logged, or put in any
message this module writes (server replies are scrubbed of it, in case one echoes it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any
from urllib.parse import quote

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError
from sqlmodel import Session, select

from .archive import Archive
from .blobs import BlobStore
from .checkpoints import make_checkpoint
from .clients import validate_slug
from .errors import ArchiveBusy, InvalidInput
from .imap_connection import DEFAULT_PORTS, MailServer, Security, connect, open_folder, scrub
from .ingest_run import IngestReport, existing_top_level, stored_email
from .ingesting import ingest_bytes, received_again, storage_problem
from .models import ImapFolderState, Item, utc_now
from .search import try_sync_index

__all__ = ["DEFAULT_PORTS", "ImapImportReport", "ImapProgress", "MailServer", "Security", "import_imap"]

ImapProgress = Callable[[str, int, int], None]  # (what is happening, messages done, messages to fetch)

_MAX_BATCH_MESSAGES = 100  # per FETCH, whatever their size (CASEFILE_IMAP_FETCH_BYTES bounds the bytes)
_SIZE_CHUNK = 1000  # UIDs per RFC822.SIZE request: keeps each command line short
_MSGID = re.compile(rb"<[^<>\s]+>")  # as ingest/mail.py reads a Message-ID header


@dataclass
class ImapImportReport:
    """What one import did: counts for the summary line, and what stopped it, if anything."""

    host: str
    user: str
    folder: str
    uidvalidity: int | None = None
    resumed_from_uid: int | None = None  # the UID an earlier import had stored up to
    restarted: str | None = None  # why this import read the folder from the start again
    to_fetch: int = 0
    fetched: int = 0
    stored: int = 0  # messages new to the archive
    skipped_duplicates: int = 0  # messages already in it
    failed: int = 0  # items stored but unreadable (kept, with their reason)
    last_uid: int = 0  # every message up to this UID is in the archive
    item_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # reading problems (still stored), a busy index
    notes: list[str] = field(default_factory=list)  # resumed, restarted, a message gone meanwhile
    errors: list[str] = field(default_factory=list)  # what stopped the import before the end

    @property
    def ok(self) -> bool:
        """True when every message the import set out to fetch is in the archive."""
        return not self.errors

    def summary(self) -> str:
        line = (f"{self.folder} on {self.host}: {self.fetched} fetched, {self.stored} stored, "
                f"{self.skipped_duplicates} skipped (already in the archive), {self.failed} failed")
        if self.resumed_from_uid:
            line += f"; resumed after UID {self.resumed_from_uid}"
        if self.errors:
            line += f"; stopped after {self.fetched} of {self.to_fetch}"
        return line

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host, "user": self.user, "folder": self.folder, "uidvalidity": self.uidvalidity,
            "resumed_from_uid": self.resumed_from_uid, "restarted": self.restarted, "to_fetch": self.to_fetch,
            "fetched": self.fetched, "stored": self.stored, "skipped_duplicates": self.skipped_duplicates,
            "failed": self.failed, "last_uid": self.last_uid, "complete": self.ok, "item_ids": self.item_ids,
            "problems": self.problems, "notes": self.notes, "errors": self.errors,
        }


@dataclass(frozen=True)
class _Folder:
    """One folder of one account, and the run's view of it (for the state row and origins)."""

    host: str
    username: str
    name: str
    uidvalidity: int
    since: date | None
    address: str

    def origin(self, uid: int) -> str:
        # an IMAP URL (RFC 5092): names the one message, never the password
        return (f"imap://{quote(self.username, safe='')}@{self.address}/{quote(self.name)}"
                f";UIDVALIDITY={self.uidvalidity}/;UID={uid}")

    def filename(self, uid: int) -> str:
        return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', self.name).strip('_') or 'folder'}-{uid}.eml"


def import_imap(
    archive: Archive,
    *,
    server: MailServer,
    password: str,
    folder: str,
    client: str,
    since: date | None = None,
    actor: str | None = None,
    progress: ImapProgress | None = None,
) -> ImapImportReport:
    """Stores every message of ``folder`` not yet imported (received on or after ``since``,
    by the server's INTERNALDATE, if given) for ``client``, oldest UID first.

    Raises ``MailServerProblem`` when nothing could be fetched (the server is unreachable,
    untrusted, refuses the login, has no such folder). A problem after that (the connection
    lost, the disk full) ends the import with it in ``errors``: what was stored is kept,
    and the same call again resumes after it.
    """
    client = validate_slug(client)  # a typo fails here, not after a long download
    actor = actor or archive.settings.actor
    report = ImapImportReport(host=server.host, user=server.username, folder=folder)
    imap = connect(server, password)
    try:
        _run(archive, imap, server, password, folder, client, since, actor, progress, report)
    finally:
        try:
            imap.logout()
        except (IMAPClientError, OSError):
            pass  # the connection is already gone: nothing to say goodbye to
    if report.stored:
        if progress:
            progress("indexing for search", report.fetched, report.to_fetch)
        busy = try_sync_index(archive)
        if busy:
            report.problems.append(f"search index: {busy}")
        try:
            make_checkpoint(archive)  # what was fetched, under a signed checkpoint
        except (ArchiveBusy, OSError, InvalidInput) as exc:
            report.problems.append(f"checkpoint not written: {exc}")
    return report


def _run(
    archive: Archive, imap: IMAPClient, server: MailServer, password: str, folder: str, client: str,
    since: date | None, actor: str, progress: ImapProgress | None, report: ImapImportReport,
) -> None:
    report.uidvalidity = open_folder(imap, server, password, folder)
    key = _Folder(server.host.lower(), server.username, folder, report.uidvalidity, since, server.address)
    with archive.read() as session:
        state = _state(session, key)
    start_after = report.last_uid = _start_after(state, key, report)
    if progress:
        progress(f"searching {folder}", 0, 0)
    try:
        uids, sizes = _to_fetch(imap, start_after, since)
    except (IMAPClientError, OSError) as exc:
        report.errors.append(_lost(exc, server, password, report))
        return
    report.to_fetch = len(uids)
    tally = IngestReport()
    for batch in _batches(uids, sizes, archive.settings.imap_fetch_bytes):
        try:
            fetched = imap.fetch(batch, ["BODY.PEEK[]"])  # PEEK: the message stays unread
        except (IMAPClientError, OSError) as exc:
            report.errors.append(_lost(exc, server, password, report))
            break
        for uid in batch:
            data = fetched.get(uid, {}).get(b"BODY[]")
            if data is None:  # expunged since the search: nothing left to keep
                report.notes.append(f"{folder}: UID {uid} was deleted on the server during the import")
                continue
            report.fetched += 1
            try:
                _store(archive, key, uid, bytes(data), client, actor, tally, report)
            except OSError as exc:
                report.errors.append(f"UID {uid} of {folder} not stored: {storage_problem(exc)}; the "
                                     f"{report.stored} stored before it are kept")
                break
            report.last_uid = uid
            if progress:
                progress(f"UID {uid}", report.fetched, report.to_fetch)
        if report.errors:
            break
    report.problems.extend(tally.problems)
    report.failed = tally.failed
    if not report.errors and (state is None or report.restarted) and report.last_uid == 0:
        with archive.write(actor) as uow:  # an empty (or renumbered) folder read to the end is known
            _save_state(uow.session, key, 0)


def _state(session: Session, key: _Folder) -> ImapFolderState | None:
    return session.exec(select(ImapFolderState).where(
        ImapFolderState.host == key.host, ImapFolderState.username == key.username,
        ImapFolderState.folder == key.name,
    )).first()


def _covers(stored: date | None, wanted: date | None) -> bool:
    """Whether imports since ``stored`` read every message an import since ``wanted`` wants."""
    return stored is None or (wanted is not None and wanted >= stored)


def _start_after(state: ImapFolderState | None, key: _Folder, report: ImapImportReport) -> int:
    """The UID this import starts after (0: the whole folder), saying why in ``report``."""
    if state is None:
        return 0
    if state.uidvalidity != key.uidvalidity:
        report.restarted = (f"{key.name}: the server's UIDVALIDITY changed ({state.uidvalidity} → "
                            f"{key.uidvalidity}), so its UIDs now name other messages: reading the folder "
                            "again from the start (messages already in the archive are skipped)")
    elif not _covers(state.since, key.since):
        report.restarted = (f"{key.name}: earlier imports read only messages since {state.since}: reading the "
                            "folder again from the start (messages already in the archive are skipped)")
    elif state.last_uid:
        report.resumed_from_uid = state.last_uid
        report.notes.append(f"{key.name}: resuming after UID {state.last_uid}, stored by an earlier import")
        return state.last_uid
    if report.restarted:
        report.notes.append(report.restarted)
    return 0


def _to_fetch(imap: IMAPClient, start_after: int, since: date | None) -> tuple[list[int], dict[int, int]]:
    """The UIDs after ``start_after`` (and received since ``since``), oldest first, with their sizes."""
    criteria: list[Any] = ["UID", f"{start_after + 1}:*"]
    if since is not None:
        criteria += ["SINCE", since]
    # "n:*" always includes the newest message, even when its UID is below n (RFC 3501)
    uids = sorted(uid for uid in imap.search(criteria) if uid > start_after)
    sizes: dict[int, int] = {}
    for i in range(0, len(uids), _SIZE_CHUNK):
        for uid, values in imap.fetch(uids[i:i + _SIZE_CHUNK], ["RFC822.SIZE"]).items():
            sizes[uid] = int(values.get(b"RFC822.SIZE") or 0)
    return uids, sizes


def _batches(uids: Sequence[int], sizes: dict[int, int], max_bytes: int) -> Iterator[list[int]]:
    """``uids`` in runs fetched together: at most ``max_bytes`` (one message at least) and 100 messages."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (total + size > max_bytes or len(batch) >= _MAX_BATCH_MESSAGES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _store(
    archive: Archive, key: _Folder, uid: int, data: bytes, client: str, actor: str, tally: IngestReport,
    report: ImapImportReport,
) -> None:
    """Stores one message (or records that the archive has it) and moves the folder's state past it."""
    sha256 = hashlib.sha256(data).hexdigest()
    filename, origin = key.filename(uid), key.origin(uid)
    with archive.read() as session:
        # the same bytes at the top level: ingest_bytes itself records them as received again
        same = None if existing_top_level(session, sha256) else (
            stored_email(session, sha256) or _same_message(session, archive.blobs, data)
        )
    if same is not None:
        with archive.write(actor) as uow:  # the custody entry and the state move together
            received_again(uow, tally, same, sha256, filename, origin)
            _save_state(uow.session, key, uid)
        report.skipped_duplicates += 1
        report.item_ids.append(same)
        return
    done = ingest_bytes(archive, data=data, filename=filename, client=client, actor=actor, origin=origin,
                        index=False)
    tally.problems.extend(done.problems)
    tally.failed += done.failed
    if done.duplicates:  # stored by someone else since the look above
        report.skipped_duplicates += 1
    else:
        report.stored += 1
    report.item_ids.extend(done.item_ids)
    with archive.write(actor) as uow:
        _save_state(uow.session, key, uid)


def _same_message(session: Session, blobs: BlobStore, data: bytes) -> int | None:
    """A stored email with this message's Message-ID and its bytes up to line endings, if any."""
    header = BytesHeaderParser(policy=compat32).parsebytes(data).get("Message-ID")
    raw = str(header).encode("utf-8", "replace") if header else b""
    found = _MSGID.search(raw)
    message_id = (found.group(0) if found else raw.strip()).decode("utf-8", "replace")
    if not message_id:
        return None
    wanted = _lines(data)
    rows = session.exec(select(Item.id, Item.sha256).where(Item.message_id == message_id, Item.kind == "email"))
    for item_id, sha256 in rows.all():
        if sha256 and _lines(blobs.path_for(sha256).read_bytes()) == wanted:
            return item_id
    return None


def _lines(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")


def _save_state(session: Session, key: _Folder, uid: int) -> None:
    """Records that every message of the folder up to ``uid`` is in the archive."""
    state = _state(session, key)
    if state is None:
        state = ImapFolderState(host=key.host, username=key.username, folder=key.name,
                                uidvalidity=key.uidvalidity, last_uid=uid, since=key.since)
    elif state.uidvalidity == key.uidvalidity and state.since == key.since:
        # another import of the same folder may have got further meanwhile: never go back
        state.last_uid = max(state.last_uid, uid)
    else:  # the first message of a run that started again from the first UID
        state.uidvalidity, state.last_uid, state.since = key.uidvalidity, uid, key.since
    state.updated_at_utc = utc_now()
    session.add(state)
    session.flush()


def _lost(exc: Exception, server: MailServer, password: str, report: ImapImportReport) -> str:
    if isinstance(exc, TimeoutError):
        what = f"no answer from {server.address} for {server.timeout:g} s"
    elif isinstance(exc, IMAPClientAbortError | OSError):
        what = f"connection to {server.address} lost ({scrub(exc, password)})"
    else:
        what = f"{server.address} refused to send the messages ({scrub(exc, password)})"
    return (f"{what} after {report.fetched} of {report.to_fetch} messages (those are in the archive): "
            "run the same command again to resume")
