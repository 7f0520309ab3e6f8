"""Zip archives: one child record per member, read entirely in memory, hostile zips refused.

Safe by construction: nothing is written to the filesystem, so a member name is only a
label — yet names that would escape a folder if anyone ever exported them ("../", "/etc",
"C:", "..\\") are refused. Everything else that makes a zip dangerous is bounded before
or while reading: member count (from the end record, before the central directory is
parsed), total declared size, per-member compression ratio, actual bytes inflated
(counted chunk by chunk, stopping as soon as the cap is passed), overlapping entries
(David Fifield's "better zip bomb" reuses one compressed kernel for many entries), and
nesting depth (``Context.deeper``).

Member names are read in the charset their writer used (``zipnames``). A member that is
encrypted (with no or the wrong password) or compressed in a way we cannot undo becomes a
failed child naming it, and the other members are still read: the archive is partial.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import replace

from .errors import Corrupt, Encrypted, IngestError, LimitReached, Unsupported
from .limits import Limits
from .names import display_name
from .records import Kind, Record, Status
from .registry import extract, failed_record, register
from .source import Context, Source
from .zipnames import member_names

__all__ = ["ZipExtractor", "unsafe_member_name"]

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_LOCAL = b"PK\x03\x04"
_CHUNK = 64 * 1024
# Deflate's best case is ~1032:1, so any small file can exceed a ratio cap; below this
# size a member cannot hurt whatever its ratio, so the ratio is only checked above it.
_RATIO_FLOOR = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_member_name(name: str) -> str | None:
    """Why a member name is unsafe (traversal, absolute, drive letter...), None if fine."""
    if "\x00" in name:
        return "NUL byte in name"
    path = name.replace("\\", "/")  # "..\\..\\x" is traversal on Windows
    if path.startswith("/"):
        return "absolute path"
    if _DRIVE.match(path):
        return "drive letter"
    if ".." in path.split("/"):
        return "path traversal"
    return None


def _declared_entries(data: bytes) -> int | None:
    """The entry count the end-of-central-directory record claims (zip64 aware)."""
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    (entries,) = struct.unpack_from("<H", data, at + 10)
    if entries != 0xFFFF:
        return entries
    locator = at - 20
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR:
        return entries
    (offset,) = struct.unpack_from("<Q", data, locator + 8)
    if offset + 40 > len(data):
        return None
    (entries64,) = struct.unpack_from("<Q", data, offset + 32)
    return entries64


def _check_layout(data: bytes, infos: list[zipfile.ZipInfo]) -> None:
    """Refuses entries whose local headers or data overlap (one kernel, many entries)."""
    spans: list[tuple[int, int, str]] = []
    for info in infos:
        start = info.header_offset
        if start < 0 or start + 30 > len(data) or data[start : start + 4] != _LOCAL:
            raise Corrupt(f"member {info.filename!r} has no local header where it should")
        name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
        end = start + 30 + name_len + extra_len + info.compress_size
        if end > len(data):
            raise Corrupt(f"member {info.filename!r} runs past the end of the file")
        spans.append((start, end, info.filename))
    spans.sort()
    for (_, end, name), (start, _, other) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise Corrupt(f"overlapping entries {name!r} and {other!r} (a zip bomb)")


def _check_declared(infos: list[zipfile.ZipInfo], names: dict[int, str], limits: Limits) -> None:
    total = 0
    for info in infos:
        # the name as zipfile read it and as its writer meant it: a legacy charset's
        # bytes must not hide a traversal that either reading shows
        for name in dict.fromkeys((info.filename, names[id(info)])):
            why = unsafe_member_name(name)
            if why:
                raise Corrupt(f"unsafe member name {name!r} ({why})")
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise LimitReached(
                f"member {info.filename!r} expands {ratio:,.0f}:1, over max_zip_ratio ({limits.max_zip_ratio})"
            )
    if total > limits.max_zip_expansion_bytes:
        raise LimitReached(
            f"members declare {total:,} bytes, over max_zip_expansion_bytes ({limits.max_zip_expansion_bytes:,})"
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, so_far: int) -> bytes:
    """The member's bytes, inflated in chunks and stopped as soon as a cap is passed."""
    parts: list[bytes] = []
    size = 0
    ratio_cap = limits.max_zip_ratio * max(info.compress_size, 1)
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            parts.append(chunk)
            if so_far + size > limits.max_zip_expansion_bytes:
                raise LimitReached(f"members inflate past max_zip_expansion_bytes ({limits.max_zip_expansion_bytes:,})")
            if size > _RATIO_FLOOR and size > ratio_cap:
                raise LimitReached(f"member {info.filename!r} inflates past max_zip_ratio ({limits.max_zip_ratio})")
            if size > info.file_size:
                raise Corrupt(f"member {info.filename!r} is larger than its declared size")
    return b"".join(parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _is_encrypted(info: zipfile.ZipInfo) -> bool:
    return bool(info.flag_bits & 0x1)


def _unread_summary(failures: list[tuple[str, IngestError]]) -> str:
    """One line for the archive: the first reason, and which members it (and others) hit."""
    _, first = failures[0]
    if len(failures) == 1:
        return str(first)
    shown = ", ".join(repr(name) for name, _ in failures[:5])
    more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
    return f"{first.reason}: {len(failures)} members could not be read ({shown}{more}); first: {first.message}"


class ZipExtractor:
    """Reads zip archives member by member, never touching the disk."""

    name = "zip"
    content_types = frozenset({"application/zip", "application/x-zip-compressed"})
    extensions = frozenset({"zip"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """The archive's record, with one child record per member (``zip_member`` fact)."""
        limits = ctx.limits
        data = source.read(limits.max_file_bytes)
        declared = _declared_entries(data)
        if declared is not None and declared > limits.max_zip_members:
            raise LimitReached(f"{declared:,} members is over max_zip_members ({limits.max_zip_members:,})")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise Corrupt(f"not a readable zip ({exc})") from exc
        with archive:
            infos = archive.infolist()
            if len(infos) > limits.max_zip_members:
                raise LimitReached(f"{len(infos):,} members is over max_zip_members ({limits.max_zip_members:,})")
            names = dict(zip(map(id, infos), member_names(infos), strict=True))
            _check_declared(infos, names, limits)
            _check_layout(data, infos)
            members = [i for i in infos if not i.is_dir() and not _is_symlink(i)]
            skipped = [names[id(i)] for i in infos if _is_symlink(i)]
            if ctx.password and any(_is_encrypted(info) for info in members):
                archive.setpassword(ctx.password.encode("utf-8"))
            child_ctx = ctx.deeper()
            children: list[Record] = []
            unread: list[tuple[str, IngestError]] = []
            total = 0
            for info in members:
                name = names[id(info)]
                try:
                    content = self._member_bytes(archive, info, name, limits, total, ctx.password)
                except (Encrypted, Unsupported) as exc:
                    # this member stays closed; the others are still read
                    unread.append((name, exc))
                    children.append(self._unread_child(name, len(children) + 1, exc))
                    continue
                total += len(content)
                children.append(self._child(name, len(children) + 1, content, child_ctx))
        facts: dict[str, object] = {"zip_members": len(members), "zip_bytes": total}
        if skipped:
            facts["zip_skipped_symlinks"] = skipped
        return Record(
            kind=Kind.DOCUMENT,
            title=source.filename.rsplit("/", 1)[-1] or "(unnamed archive)",
            content_type="application/zip",
            text="\n".join(names[id(info)] for info in members),
            filename=source.filename,
            status=Status.PARTIAL if unread else Status.OK,
            error=_unread_summary(unread) if unread else None,
            facts=facts,
            children=tuple(children),
        )

    @staticmethod
    def _member_bytes(
        archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: Limits, so_far: int, password: str | None
    ) -> bytes:
        """The member's bytes; ``Encrypted`` or ``Unsupported`` (naming it) when it stays
        closed, ``Corrupt``/``LimitReached`` (failing the archive) when it is hostile."""
        if _is_encrypted(info) and not password:
            raise Encrypted(f"password required for zip member {name!r}")
        try:
            return _read_member(archive, info, limits, so_far)
        except NotImplementedError as exc:  # e.g. WinZip AES (method 99), PPMd; before RuntimeError, its base
            if _is_encrypted(info):
                raise Encrypted(f"zip member {name!r} uses an encryption we cannot open ({exc})") from exc
            raise Unsupported(f"zip member {name!r}: {exc}") from exc
        except RuntimeError as exc:  # zipfile's "Bad password for file"
            raise Encrypted(f"wrong password for zip member {name!r}") from exc
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise Corrupt(f"zip member {name!r} is damaged ({exc})") from exc

    @staticmethod
    def _child(name: str, position: int, content: bytes, ctx: Context) -> Record:
        # the item is labelled by a name safe to show; the member's whole path as the zip
        # spells it is kept as a fact (it is evidence: which folder the file was in)
        record = extract(Source.from_bytes(content, display_name(name, f"member-{position}")), ctx)
        return replace(record, data=content, facts={**record.facts, "zip_member": name})

    @staticmethod
    def _unread_child(name: str, position: int, error: IngestError) -> Record:
        """A member kept closed: no bytes of its own (they are inside the archive's), its reason."""
        label = Source.from_bytes(b"", display_name(name, f"member-{position}"))
        record = failed_record(label, "application/octet-stream", error, Kind.DOCUMENT)
        return replace(record, facts={"zip_member": name})


register(ZipExtractor())
