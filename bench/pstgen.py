"""A small Unicode PST writer ([MS-PST] messaging layer) for tests and the benchmark.

There is no public PST in this repository and no PST writer on the machine, so this
writes one: the message store, the name-to-ID map, the table templates, the root folder,
the IPM subtree ("Top of Personal Folders") with folders of any depth, and in them
messages (subject, sender, recipients table, plain/HTML/RTF body, submit and delivery
times, transport headers, attachments), appointments and contacts. Messages are written
as they are added, so a multi-thousand-message file costs little memory.

Test tooling, not product code; the files it writes open in libpff (pypff) and readpst.

    with PstWriter(path) as pst:
        pst.add("Inbox/Clients", Message(subject="Hello", sender=("Greg", "greg@x.example"), ...))
"""

from __future__ import annotations

import hashlib
import itertools
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import compressed_rtf
from pstltp import BINARY, BOOLEAN, INT32, OBJECT, STRING, TIME, property_context, table_context
from pstndb import NodeDatabase, crc32

__all__ = ["Appointment", "Attachment", "Contact", "Message", "PstWriter", "Recipient"]

_FOLDER, _MESSAGE, _ATTACHMENT, _LTP = 0x02, 0x04, 0x05, 0x1F
_STORE, _NAME_MAP, _ROOT = 0x21, 0x61, 0x122
_HIERARCHY_T, _CONTENTS_T, _ASSOC_T, _SEARCH_T = 0x60D, 0x60E, 0x60F, 0x610
_ATTACHMENT_T, _RECIPIENT_T = 0x671, 0x692
PSETID_ADDRESS = uuid.UUID("00062004-0000-0000-c000-000000000046")
PSETID_APPOINTMENT = uuid.UUID("00062002-0000-0000-c000-000000000046")
PS_PUBLIC_STRINGS = uuid.UUID("00020329-0000-0000-c000-000000000046")
# Named properties this writer uses: (set, numeric id or name); each is 0x8000 + its index.
NAMED: list[tuple[uuid.UUID, int | str]] = [
    (PSETID_ADDRESS, 0x8083),  # PidLidEmail1EmailAddress
    (PSETID_ADDRESS, 0x8080),  # PidLidEmail1DisplayName
    (PSETID_APPOINTMENT, 0x820D),  # PidLidAppointmentStartWhole
    (PSETID_APPOINTMENT, 0x820E),  # PidLidAppointmentEndWhole
    (PSETID_APPOINTMENT, 0x8208),  # PidLidLocation
    (PS_PUBLIC_STRINGS, "Keywords"),
]
_EMAIL1, _EMAIL1_NAME, _START, _END, _LOCATION = 0x8000, 0x8001, 0x8002, 0x8003, 0x8004

_HIERARCHY_COLUMNS = [(0x3001, STRING), (0x3602, INT32), (0x3603, INT32), (0x360A, BOOLEAN), (0x3613, STRING)]
_CONTENTS_COLUMNS = [
    (0x0017, INT32), (0x001A, STRING), (0x0037, STRING), (0x0039, TIME), (0x0042, STRING), (0x0E03, STRING),
    (0x0E04, STRING), (0x0E06, TIME), (0x0E07, INT32), (0x0E08, INT32), (0x0E17, INT32), (0x3008, TIME),
]
_ASSOC_COLUMNS = [(0x001A, STRING), (0x0E07, INT32), (0x3001, STRING)]
_RECIPIENT_COLUMNS = [
    (0x0C15, INT32), (0x0E0F, BOOLEAN), (0x0FF9, BINARY), (0x0FFE, INT32), (0x0FFF, BINARY), (0x3001, STRING),
    (0x3002, STRING), (0x3003, STRING), (0x300B, BINARY), (0x3900, INT32), (0x39FE, STRING), (0x39FF, STRING),
    (0x3A40, BOOLEAN),
]
_ATTACHMENT_COLUMNS = [(0x0E20, INT32), (0x3704, STRING), (0x3705, INT32), (0x370B, INT32)]
_ROLES = {"to": 1, "cc": 2, "bcc": 3}


@dataclass(frozen=True)
class Recipient:
    name: str
    address: str
    role: str = "to"  # to | cc | bcc


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime: str = "application/octet-stream"
    content_id: str | None = None
    embedded: Message | None = None  # an attached message (then ``data`` is unused)
    path: str | None = None  # attached by reference only: a path, no bytes (ATTACH_BY_REF_ONLY)


@dataclass(frozen=True)
class Message:
    """An e-mail; ``body``, ``html`` and ``rtf`` are each optional (as in Outlook)."""

    subject: str
    sender: tuple[str, str]  # (name, address)
    recipients: tuple[Recipient, ...] = ()
    submitted: datetime | None = None
    delivered: datetime | None = None
    body: str | None = None
    html: str | None = None
    rtf: bytes | None = None  # RTF text, stored LZFu-compressed as Outlook does
    headers: str | None = None  # PR_TRANSPORT_MESSAGE_HEADERS
    message_id: str | None = None
    in_reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    message_class: str = "IPM.Note"


@dataclass(frozen=True)
class Appointment:
    subject: str
    start: datetime
    end: datetime
    organizer: tuple[str, str]
    attendees: tuple[Recipient, ...] = ()
    location: str = ""
    body: str = ""


@dataclass(frozen=True)
class Contact:
    display_name: str
    email: str
    given_name: str = ""
    surname: str = ""
    company: str = ""
    phone: str = ""


@dataclass
class _Folder:
    nid: int
    name: str
    container_class: str
    parent: int
    children: list[_Folder] = field(default_factory=list)
    rows: list[tuple[int, dict[int, Any]]] = field(default_factory=list)


class PstWriter:
    """Writes a PST at ``path``; ``add`` items to folders by path, ``close`` (or ``with``) finishes it."""

    def __init__(self, path: Path, display_name: str = "Personal Folders", front: int = 0) -> None:
        """``front``: bytes set aside near the start for the folders and indexes (see NodeDatabase)."""
        self._fh = path.open("w+b")
        self.ndb = NodeDatabase(self._fh, front)
        self.display_name = display_name
        self.record_key = hashlib.md5(display_name.encode()).digest()  # the store's provider UID
        self._next = {_FOLDER: 0x400, _MESSAGE: 0x10000}
        self.root = _Folder(_ROOT, "", "", _ROOT)
        self.ipm = self._new_folder(self.root, "Top of Personal Folders", "")
        self._new_folder(self.root, "Search Root", "")
        self.wastebasket = self._new_folder(self.ipm, "Deleted Items", "IPF.Note")
        self.count = 0
        # What a reader needs to open the file goes first, so a copy cut short still opens.
        self._write_store()
        self._write_folder(self.root)

    def __enter__(self) -> PstWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self._fh.close()

    def _nid(self, nid_type: int) -> int:
        index = self._next[nid_type]
        self._next[nid_type] = index + 1
        return (index << 5) | nid_type

    def _new_folder(self, parent: _Folder, name: str, container_class: str) -> _Folder:
        folder = _Folder(self._nid(_FOLDER), name, container_class, parent.nid)
        parent.children.append(folder)
        return folder

    def folder(self, path: str, container_class: str = "IPF.Note") -> _Folder:
        """The folder at ``path`` under "Top of Personal Folders", made (with its parents) if new."""
        current = self.ipm
        for name in [p for p in path.split("/") if p]:
            found = next((f for f in current.children if f.name == name), None)
            current = found or self._new_folder(current, name, container_class)
        return current

    def add(self, path: str, item: Message | Appointment | Contact, orphan: bool = False) -> int:
        """Writes ``item`` into the folder at ``path`` now; returns its NID.

        ``orphan`` names a parent folder that does not exist, as in a file whose folder was lost.
        """
        kind = {Appointment: "IPF.Appointment", Contact: "IPF.Contact"}.get(type(item), "IPF.Note")
        folder = _Folder(self._nid(_FOLDER), "(lost)", kind, 0) if orphan else self.folder(path, kind)
        nid = self._nid(_MESSAGE)
        bid_data, bid_sub, props = self._item(item)
        self.ndb.node(nid, bid_data, bid_sub, parent=folder.nid)
        values = {pid: value for pid, _, value in props}
        folder.rows.append((nid, {pid: values.get(pid) for pid, _ in _CONTENTS_COLUMNS}))
        return nid

    def _item(self, item: Message | Appointment | Contact) -> tuple[int, int, list[tuple[int, int, Any]]]:
        """Writes an item's property context and subnodes (recipients, attachments, large values)."""
        subnodes: list[tuple[int, int, int]] = []
        spill = self._spiller(subnodes)
        if isinstance(item, Message):
            props, recipients, attachments = _message_props(item), item.recipients, item.attachments
        elif isinstance(item, Appointment):
            props, recipients, attachments = _appointment_props(item), item.attendees, ()
        else:
            props, recipients, attachments = _contact_props(item), (), ()
        self.count += 1
        search_key = hashlib.md5(f"{self.count}".encode()).digest()
        props += [(0x300B, BINARY, search_key), (0x0E07, INT32, 0x01 | (0x10 if attachments else 0))]
        rows = [(i, _recipient_row(r)) for i, r in enumerate(recipients)]
        subnodes.append((_RECIPIENT_T, self.ndb.blocks_tree(table_context(_RECIPIENT_COLUMNS, rows, spill)), 0))
        if attachments:
            att_rows = []
            for index, att in enumerate(attachments):
                att_nid = ((0x400 + index) << 5) | _ATTACHMENT
                att_sub: list[tuple[int, int, int]] = []
                att_props = _attachment_props(att)
                if att.embedded is not None:  # an attached message: its own PC and subnodes, in a subnode
                    inner_data, inner_sub, _ = self._item(att.embedded)
                    inner_nid = (0x7FF << 5) | _LTP
                    att_sub.append((inner_nid, inner_data, inner_sub))
                    att_props += [(0x3701, OBJECT, (inner_nid, 0)), (0x3705, INT32, 5)]
                blocks = property_context(att_props, self._spiller(att_sub))
                subnodes.append((att_nid, self.ndb.blocks_tree(blocks), self.ndb.subnode_tree(att_sub)))
                method = 5 if att.embedded is not None else 4 if att.path is not None else 1
                att_rows.append((att_nid, {0x0E20: len(att.data), 0x3704: att.filename, 0x3705: method, 0x370B: -1}))
            table = table_context(_ATTACHMENT_COLUMNS, att_rows, spill)
            subnodes.append((_ATTACHMENT_T, self.ndb.blocks_tree(table), 0))
        size = sum(len(a.data) for a in attachments) + 1024
        props.append((0x0E08, INT32, size))
        blocks = property_context(props, spill)
        return self.ndb.blocks_tree(blocks), self.ndb.subnode_tree(subnodes), props

    def _spiller(self, into: list[tuple[int, int, int]]) -> Any:
        numbers = itertools.count(1)

        def spill(data: bytes) -> int:
            nid = (next(numbers) << 5) | _LTP
            into.append((nid, self.ndb.data_tree(data), 0))
            return nid

        return spill

    def _pc(self, nid: int, props: list[tuple[int, int, Any]], parent: int = 0) -> None:
        subnodes: list[tuple[int, int, int]] = []
        blocks = property_context(props, self._spiller(subnodes))
        self.ndb.node(nid, self.ndb.blocks_tree(blocks), self.ndb.subnode_tree(subnodes), parent)

    def _tc(self, nid: int, columns: list[tuple[int, int]], rows: list[tuple[int, dict[int, Any]]]) -> None:
        subnodes: list[tuple[int, int, int]] = []
        blocks = table_context(columns, rows, self._spiller(subnodes))
        self.ndb.node(nid, self.ndb.blocks_tree(blocks), self.ndb.subnode_tree(subnodes), 0)

    def _entry_id(self, nid: int) -> bytes:
        return b"\0" * 4 + self.record_key + struct.pack("<I", nid)

    def _folders(self, folder: _Folder) -> Iterator[_Folder]:
        yield folder
        for child in folder.children:
            yield from self._folders(child)

    def _write_folder(self, folder: _Folder) -> None:
        props = [
            (0x3001, STRING, folder.name or None), (0x3602, INT32, len(folder.rows)), (0x3603, INT32, 0),
            (0x360A, BOOLEAN, bool(folder.children)), (0x3613, STRING, folder.container_class or None),
        ]
        self._pc(folder.nid, props, folder.parent)
        sub_rows = [
            (c.nid, {0x3001: c.name, 0x3602: len(c.rows), 0x3603: 0, 0x360A: bool(c.children),
                     0x3613: c.container_class or None})
            for c in folder.children
        ]
        self._tc(folder.nid + 11, _HIERARCHY_COLUMNS, sub_rows)
        self._tc(folder.nid + 12, _CONTENTS_COLUMNS, folder.rows)
        self._tc(folder.nid + 13, _ASSOC_COLUMNS, [])

    def _write_store(self) -> None:
        search_root = self.root.children[1].nid
        self._pc(_STORE, [
            (0x0FF9, BINARY, self.record_key), (0x3001, STRING, self.display_name),
            (0x35E0, BINARY, self._entry_id(self.ipm.nid)), (0x35E3, BINARY, self._entry_id(self.wastebasket.nid)),
            (0x35E7, BINARY, self._entry_id(search_root)), (0x35DF, INT32, 0x89), (0x67FF, INT32, 0),
        ])
        self._pc(_NAME_MAP, _name_map_props())
        for nid, columns in ((_HIERARCHY_T, _HIERARCHY_COLUMNS), (_CONTENTS_T, _CONTENTS_COLUMNS),
                             (_ASSOC_T, _ASSOC_COLUMNS), (_SEARCH_T, _CONTENTS_COLUMNS),
                             (_ATTACHMENT_T, _ATTACHMENT_COLUMNS), (_RECIPIENT_T, _RECIPIENT_COLUMNS)):
            self._tc(nid, columns, [])

    def close(self) -> None:
        """Writes the folders (their counts are known now) and the indexes; the file is then a PST."""
        self.ndb.use_front()
        for folder in self._folders(self.root):
            if folder is not self.root:  # written first, with the two folders it holds
                self._write_folder(folder)
        self.ndb.close({t: i for t, i in self._next.items()})
        self._fh.close()

def _message_props(msg: Message) -> list[tuple[int, int, Any]]:
    to = "; ".join(r.name or r.address for r in msg.recipients if r.role == "to")
    cc = "; ".join(r.name or r.address for r in msg.recipients if r.role == "cc")
    created = msg.submitted or msg.delivered
    return [
        (0x001A, STRING, msg.message_class), (0x0017, INT32, 1), (0x0037, STRING, msg.subject),
        (0x0070, STRING, msg.subject), (0x0039, TIME, msg.submitted), (0x0E06, TIME, msg.delivered),
        (0x3007, TIME, created), (0x3008, TIME, created), (0x0E17, INT32, 0),
        (0x0042, STRING, msg.sender[0]), (0x0064, STRING, "SMTP"), (0x0065, STRING, msg.sender[1]),
        (0x0C1A, STRING, msg.sender[0]), (0x0C1E, STRING, "SMTP"), (0x0C1F, STRING, msg.sender[1]),
        (0x5D01, STRING, msg.sender[1]), (0x0E04, STRING, to or None), (0x0E03, STRING, cc or None),
        (0x007D, STRING, msg.headers), (0x1035, STRING, msg.message_id), (0x1042, STRING, msg.in_reply_to),
        (0x1000, STRING, msg.body), (0x1013, BINARY, msg.html.encode("utf-8") if msg.html else None),
        (0x3FDE, INT32, 65001 if msg.html else None),
        (0x1009, BINARY, compressed_rtf.compress(msg.rtf, compressed=True) if msg.rtf else None),
    ]


def _appointment_props(item: Appointment) -> list[tuple[int, int, Any]]:
    return [
        (0x001A, STRING, "IPM.Appointment"), (0x0037, STRING, item.subject), (0x1000, STRING, item.body or None),
        (0x0042, STRING, item.organizer[0]), (0x0065, STRING, item.organizer[1]), (0x0064, STRING, "SMTP"),
        (0x0060, TIME, item.start), (0x0061, TIME, item.end), (0x3007, TIME, item.start), (0x3008, TIME, item.start),
        (_START, TIME, item.start), (_END, TIME, item.end), (_LOCATION, STRING, item.location or None),
    ]


def _contact_props(item: Contact) -> list[tuple[int, int, Any]]:
    return [
        (0x001A, STRING, "IPM.Contact"), (0x0037, STRING, item.display_name), (0x3001, STRING, item.display_name),
        (0x3A06, STRING, item.given_name or None), (0x3A11, STRING, item.surname or None),
        (0x3A16, STRING, item.company or None), (0x3A08, STRING, item.phone or None),
        (_EMAIL1, STRING, item.email), (_EMAIL1_NAME, STRING, f"{item.display_name} ({item.email})"),
    ]


def _recipient_row(r: Recipient) -> dict[int, Any]:
    entry = hashlib.md5(r.address.encode()).digest()
    return {
        0x0C15: _ROLES[r.role], 0x0E0F: True, 0x0FF9: entry, 0x0FFE: 6, 0x0FFF: entry, 0x3001: r.name or r.address,
        0x3002: "SMTP", 0x3003: r.address, 0x300B: f"SMTP:{r.address.upper()}\0".encode(), 0x3900: 0,
        0x39FE: r.address, 0x39FF: r.name or r.address, 0x3A40: False,
    }


def _attachment_props(att: Attachment) -> list[tuple[int, int, Any]]:
    stem, _, ext = att.filename.rpartition(".")
    short = f"{(stem or ext)[:8]}.{ext[:3]}" if stem else att.filename[:8]
    props: list[tuple[int, int, Any]] = [
        (0x0E20, INT32, len(att.data)), (0x3704, STRING, short), (0x3707, STRING, att.filename),
        (0x370B, INT32, -1), (0x370E, STRING, att.mime), (0x3712, STRING, att.content_id),
    ]
    if att.path is not None:
        props += [(0x370D, STRING, att.path), (0x3705, INT32, 4)]
    elif att.embedded is None:
        props += [(0x3701, BINARY, att.data), (0x3705, INT32, 1)]
    return props


def _name_map_props() -> list[tuple[int, int, Any]]:
    """The name-to-ID map ([MS-PST] 2.4.7): GUID, entry and string streams, and hash buckets."""
    guids = sorted({g for g, _ in NAMED if g != PS_PUBLIC_STRINGS}, key=str)
    strings = bytearray()
    entries, buckets = [], {}
    for index, (guid, name) in enumerate(NAMED):
        guid_index = 2 if guid == PS_PUBLIC_STRINGS else 3 + guids.index(guid)
        if isinstance(name, str):
            key = len(strings)
            encoded = name.encode("utf-16-le")
            strings += struct.pack("<I", len(encoded)) + encoded
            strings += b"\0" * (-len(strings) % 4)
            flag, hashed = 1, crc32(encoded)
        else:
            key, flag, hashed = name, 0, name
        entry = struct.pack("<IHH", key, (guid_index << 1) | flag, index)
        entries.append(entry)
        bucket = (hashed ^ ((guid_index << 1) | flag)) % 251
        buckets.setdefault(bucket, []).append(entry)
    props: list[tuple[int, int, Any]] = [
        (0x0001, INT32, 251), (0x0002, BINARY, b"".join(g.bytes_le for g in guids)),
        (0x0003, BINARY, b"".join(entries)), (0x0004, BINARY, bytes(strings)),
    ]
    props += [(0x1000 + b, BINARY, b"".join(e)) for b, e in sorted(buckets.items())]
    return props

