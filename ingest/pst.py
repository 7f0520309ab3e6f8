"""Outlook data files (.pst, .ost) read with libpff (pypff), streamed one item at a time.

The file is one record; its items (messages, calendar items, contacts, notes) are its
children, produced lazily while the folders are walked depth first, so memory stays flat
however large the file is. Each child names the folder it was found in and carries bytes
rebuilt from its properties (``pstitems``, ``pstrender``): the PST stays the original.

Damage is reported where it is found: a file libpff cannot open is a failed record; an
item, an attachment or a folder listing that cannot be read becomes a failed child (or a
noted attachment) with libpff's reason, and the walk goes on with the rest.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypff

from .errors import Corrupt
from .pstitems import failed_item, item_record
from .pstmail import Place
from .pstprops import NamedMap, Props, libpff_reason, named_map
from .records import Kind, Record, Status
from .registry import register
from .source import Context, Source

__all__ = ["CONTENT_TYPE", "PstExtractor"]

CONTENT_TYPE = "application/vnd.ms-outlook-pst"
_NID_FOLDER, _NID_SEARCH_FOLDER, _NID_MESSAGE = 0x02, 0x03, 0x04
_KINDS = {ord("p"): "pst", ord("o"): "ost", ord("a"): "pab"}
_ENCRYPTION = {0: "none", 1: "compressible", 2: "high"}
_MAX_FOLDER_DEPTH = 100  # Outlook's own limit is far lower; past it the index is damaged


@dataclass
class _Opened:
    """An open pypff file and what must outlive it (the stream it reads from)."""

    pst: Any
    stream: io.BytesIO | None = None
    closed: bool = field(default=False)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.pst.close()
            except Exception:  # closing a file libpff gave up on: nothing more to release
                pass


def _open(source: Source, truncated: str | None) -> _Opened:
    pst = pypff.file()
    stream = None
    try:
        if source.path is not None:
            pst.open(str(source.path))  # libpff reads the file itself: nothing held in memory
        else:
            stream = io.BytesIO(source.data or b"")
            pst.open_file_object(stream)
    except Exception as exc:  # libpff raises OSError with its whole call chain in the message
        why = f"{truncated}; " if truncated else ""
        raise Corrupt(f"not a readable PST: {why}libpff: {libpff_reason(exc)}") from exc
    return _Opened(pst, stream)


def _truncation(source: Source) -> str | None:
    """What is missing when the file is shorter than its header says (a copy cut short)."""
    head = source.head(564)
    if len(head) < 200:
        return None
    version = int.from_bytes(head[10:12], "little")
    if version >= 23:  # Unicode: ROOT.ibFileEof
        declared = int.from_bytes(head[184:192], "little")
    elif version in (14, 15):  # ANSI
        declared = int.from_bytes(head[168:172], "little")
    else:
        return None
    size = source.size
    if size >= declared:
        return None
    return f"the file is truncated ({size:,} of the {declared:,} bytes its header declares)"


def _nid_type(item: Any) -> int:
    return int(item.identifier) & 0x1F


class PstExtractor:
    """Outlook .pst/.ost files: the file is one record, each item a streamed child."""

    name = "pst"
    content_types = frozenset({CONTENT_TYPE})
    extensions = frozenset({"pst", "ost"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """The file's record; opening it now makes an unreadable file a failed record at once."""
        inner = ctx.deeper()
        truncated = _truncation(source)
        opened = _open(source, truncated)
        try:
            root = opened.pst.get_root_folder()
        except Exception as exc:
            opened.close()
            raise Corrupt(f"not a readable PST: no root folder (libpff: {libpff_reason(exc)})") from exc
        name = source.filename.rsplit("/", 1)[-1]
        facts: dict[str, Any] = {
            "format": _KINDS.get(_safe(lambda: opened.pst.content_type, 0), "pst"),
            "encryption": _ENCRYPTION.get(_safe(lambda: opened.pst.encryption_type, 0), "unknown"),
        }
        store = _safe(lambda: Props(opened.pst.get_message_store()).text(0x3001), "")
        if store:
            facts["store"] = store
        return Record(
            kind=Kind.DOCUMENT,
            title=f"Outlook data file {name}",
            content_type=CONTENT_TYPE,
            filename=source.filename,
            status=Status.PARTIAL if truncated else Status.OK,
            error=f"{truncated}: whatever was stored past its end is lost" if truncated else None,
            facts=facts,
            children=_Walk(opened, name, inner).items(root),
        )


def _safe(call: Any, default: Any) -> Any:
    try:
        return call()
    except Exception:  # a damaged store: the description is a courtesy, the items are what count
        return default


class _Walk:
    """Depth-first over the folders, yielding one record per item as it is read."""

    def __init__(self, opened: _Opened, pst_name: str, ctx: Context) -> None:
        self.opened = opened
        self.pst_name = pst_name
        self.ctx = ctx
        self.named: NamedMap = named_map(opened.pst)
        self.codepage = _safe(lambda: (opened.pst.ascii_codepage or b"cp1252").decode("ascii"), "cp1252")
        self.number = 0
        self.seen: set[int] = set()

    def items(self, root: Any) -> Iterator[Record]:
        try:
            yield from self._folder(root, ())
            yield from self._orphans()
        finally:
            self.opened.close()

    def _place(self, folder: tuple[str, ...], nid: int | None) -> Place:
        self.number += 1
        return Place(self.pst_name, "/".join(folder), self.number, nid)

    def _folder(self, folder: Any, path: tuple[str, ...]) -> Iterator[Record]:
        # The item tree (each node names its parent) rather than the folder's contents table:
        # it still lists every message when a table is damaged, as readpst does.
        try:
            count = folder.get_number_of_sub_items()
        except Exception as exc:
            yield self._listing_failed(path, exc)
            return
        subfolders: list[Any] = []
        for index in range(count):
            try:
                sub = folder.get_sub_item(index)
                nid_type = _nid_type(sub)
            except Exception as exc:
                yield failed_item(self._place(path, None), exc)
                continue
            if nid_type == _NID_FOLDER:
                subfolders.append(sub)
            elif nid_type == _NID_MESSAGE:  # associated (hidden) items and search folders are not evidence
                yield self._item(sub, path)
        for sub in subfolders:
            nid = _safe(lambda s=sub: int(s.identifier), 0)
            if nid in self.seen or len(path) >= _MAX_FOLDER_DEPTH:
                continue  # a damaged index naming a folder twice (or in a loop) is walked once
            self.seen.add(nid)
            # a folder whose own properties are lost still lists its items; "/" separates the path
            name = _safe(sub.get_name, None) or f"(folder {nid:#x})"
            yield from self._folder(sub, (*path, name.replace("/", "\u2215")))

    def _item(self, item: Any, path: tuple[str, ...]) -> Record:
        place = self._place(path, _safe(lambda: int(item.identifier), None))
        try:
            return item_record(item, place, self.ctx, self.named, self.codepage)
        except Exception as exc:  # libpff failing on this item's blocks: the next may be fine
            return failed_item(place, exc)

    def _orphans(self) -> Iterator[Record]:
        """Items whose folder is gone (libpff finds them in the node index): kept, not lost."""
        count = _safe(lambda: self.opened.pst.get_number_of_orphan_items(), 0)
        for index in range(count):
            try:
                item = self.opened.pst.get_orphan_item(index)
                is_message = _nid_type(item) == _NID_MESSAGE
            except Exception as exc:
                yield failed_item(self._place(("(orphan items)",), None), exc)
                continue
            if is_message:
                yield self._item(item, ("(orphan items)",))

    def _listing_failed(self, path: tuple[str, ...], exc: BaseException) -> Record:
        where = "/".join(path) or "the root folder"
        return Record(
            kind=Kind.DOCUMENT,
            title=f"Unreadable folder listing: {where}",
            content_type=CONTENT_TYPE,
            filename=f"{self.pst_name}#{where}",
            status=Status.FAILED,
            error=str(Corrupt(f"the items of folder {where} could not be listed ({libpff_reason(exc)})")),
            facts={"folder": "/".join(path)},
        )


register(PstExtractor())
