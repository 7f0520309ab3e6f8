"""Checking a bundle against itself: SHA256SUMS, the Bates sequence, the index's hashes.

Reads the zip in place and never extracts anything to disk; members with names that
could escape a folder (``..``, absolute paths, backslashes) are reported, never opened.
Every problem is collected, so one run names all of them.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

import pypdfium2 as pdfium

from .proofs import CHECKPOINT_FILE, check_checkpoint_json
from .schemas import BundleCheck

__all__ = ["verify_bundle"]

_SUMS_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
_BATES = re.compile(r"^([A-Z0-9]{1,10})(\d{6})$")
_CHUNK = 1024 * 1024


class _Check:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.problems: list[str] = []
        self.names: set[str] = set()
        self._hashes: dict[str, str | None] = {}  # natives are checked twice; read them once

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def hash_member(self, name: str) -> str | None:
        """The member's SHA-256, or None (with a problem noted) when it cannot be read."""
        if name not in self._hashes:
            self._hashes[name] = self._hash(name)
        return self._hashes[name]

    def _hash(self, name: str) -> str | None:
        digest = hashlib.sha256()
        try:
            with self.zf.open(name) as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            self.problem(f"{name} is damaged and cannot be read ({exc})")
            return None
        return digest.hexdigest()

    def read(self, name: str) -> bytes | None:
        if name not in self.names:
            return None
        try:
            return self.zf.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            self.problem(f"{name} is damaged and cannot be read ({exc})")
            return None


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        name.startswith("/") or "\\" in name or ".." in path.parts or ":" in name
        or not name or "\x00" in name
    )


def _member_names(check: _Check) -> None:
    seen: set[str] = set()
    for info in check.zf.infolist():
        if _unsafe(info.filename):
            check.problem(f"unsafe member name {info.filename!r} (it could escape the folder it is unzipped to)")
            continue
        if info.filename in seen:
            check.problem(f"{info.filename} appears twice in the zip")
        seen.add(info.filename)
        if not info.is_dir():
            check.names.add(info.filename)


def _check_sums(check: _Check) -> int:
    raw = check.read("SHA256SUMS")
    if raw is None:
        check.problem("SHA256SUMS is missing")
        return 0
    listed: dict[str, str] = {}
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        match = _SUMS_LINE.match(line)
        if not match:
            check.problem(f"SHA256SUMS line {number} is not '<sha256>  <file>'")
            continue
        listed[match.group(2)] = match.group(1)
    for name, expected in sorted(listed.items()):
        if name not in check.names:
            check.problem(f"{name} is listed in SHA256SUMS but missing from the bundle")
            continue
        actual = check.hash_member(name)
        if actual is not None and actual != expected:
            check.problem(f"{name} was altered (its SHA-256 differs from SHA256SUMS)")
    for name in sorted(check.names - set(listed) - {"SHA256SUMS"}):
        check.problem(f"{name} is in the bundle but not listed in SHA256SUMS")
    return len(listed)


def _page_texts(data: bytes) -> list[str]:
    # PDFium, not pypdf: pypdf parses each OCR'd page's font map in Python (about half a
    # second a page), PDFium reads the whole sample bundle's pages in a fraction of that.
    document = pdfium.PdfDocument(data)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def _check_pdf(check: _Check, name: str, stamps: list[str]) -> None:
    data = check.read(name)
    if data is None:
        if name not in check.names:
            check.problem(f"{name} is missing")
        return
    try:
        texts = _page_texts(data)
    except pdfium.PdfiumError as exc:
        check.problem(f"{name} is not a readable PDF ({exc})")
        return
    if len(texts) != len(stamps):
        check.problem(f"{name} has {len(texts)} pages but the index says {len(stamps)}")
    for number, (text, stamp) in enumerate(zip(texts, stamps, strict=False), start=1):
        if stamp not in text:
            check.problem(f"{name} page {number} is not stamped {stamp}")


def _check_index(check: _Check) -> tuple[int, int, str | None, str | None]:
    raw = check.read("index.json")
    if raw is None:
        check.problem("index.json is missing or unreadable, so the Bates sequence cannot be checked")
        return 0, 0, None, None
    try:
        rows: list[dict[str, Any]] = json.loads(raw)["documents"]
    except (ValueError, KeyError, TypeError):
        check.problem("index.json is not a bundle index")
        return 0, 0, None, None
    expected, prefix, pages = 1, None, 0
    for row in rows:
        begin, end = _BATES.match(str(row.get("BegBates"))), _BATES.match(str(row.get("EndBates")))
        if not begin or not end:
            check.problem(f"index row {row.get('ControlNumber')!r} has no valid Bates numbers")
            continue
        prefix = prefix or begin.group(1)
        first, last = int(begin.group(2)), int(end.group(2))
        if begin.group(1) != prefix or end.group(1) != prefix:
            check.problem(f"{row['BegBates']} does not use the bundle's prefix {prefix}")
        if first != expected:
            check.problem(f"Bates sequence breaks at {row['BegBates']}: expected {prefix}{expected:06d}")
        if last - first + 1 != row.get("PageCount") or last < first:
            check.problem(f"{row['BegBates']}–{row['EndBates']} does not span its {row.get('PageCount')} pages")
        expected = max(expected, last + 1)
        pages += max(0, last - first + 1)
        _check_pdf(check, str(row.get("PdfPath")), [f"{prefix}{n:06d}" for n in range(first, last + 1)])
        native = row.get("NativePath")
        if native:
            actual = check.hash_member(native) if native in check.names else None
            if native not in check.names:
                check.problem(f"{native} (native of {row['BegBates']}) is missing")
            elif actual is not None and actual != row.get("SHA256"):
                check.problem(f"{native} does not match the SHA-256 the index gives for {row['BegBates']}")
    first_bates = rows[0].get("BegBates") if rows else None
    last_bates = rows[-1].get("EndBates") if rows else None
    return len(rows), pages, first_bates, last_bates


def _check_checkpoint(check: _Check) -> None:
    """The checkpoint, its token and the inclusion proofs of custody.json's entries (bundles
    made before checkpoints have none: nothing to check)."""
    if CHECKPOINT_FILE not in check.names:
        return
    raw = check.read(CHECKPOINT_FILE)
    if raw is None:
        check.problem(f"{CHECKPOINT_FILE} cannot be read")
        return
    for problem in check_checkpoint_json(raw, check.read("custody.json")):
        check.problem(problem)


def verify_bundle(*, path: Path) -> BundleCheck:
    """Checks every file, the Bates sequence and the natives' hashes; lists each problem."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return BundleCheck(path=str(path), ok=False, documents=0, pages=0, first_bates=None,
                           last_bates=None, files_checked=0, problems=[f"{path} is not a readable zip ({exc})"])
    with zf:
        check = _Check(zf)
        _member_names(check)
        files = _check_sums(check)
        documents, pages, first, last = _check_index(check)
        _check_checkpoint(check)
    return BundleCheck(
        path=str(path), ok=not check.problems, documents=documents, pages=pages, first_bates=first,
        last_bates=last, files_checked=files, problems=check.problems,
    )
