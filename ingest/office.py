"""Office files in an OLE compound file: legacy Word/Excel/PowerPoint, and encrypted OOXML.

We do not read the text of Word 97-2003, Excel 97-2003 or PowerPoint 97-2003 files (they
are kept as evidence, ``partial``, like any format we store but cannot read), but we do
say when one is password-protected, in the words a PDF uses ("encrypted: password
required"), rather than calling it unsupported: a person can act on that. A password-
protected .docx/.xlsx/.pptx is not a zip at all but an OLE file holding an
``EncryptionInfo`` stream and the encrypted package (MS-OFFCRYPTO), so it arrives here too.

The checks read only a few header bytes of one stream each; olefile parses the container.
"""

from __future__ import annotations

import io
import struct

import olefile

from .errors import Corrupt, Encrypted, Unsupported
from .records import Kind, Record, Status
from .registry import register
from .sniff import OLE_MAGIC, OLE_MIN_SIZE
from .source import Context, Source

__all__ = ["OleOfficeExtractor", "office_encryption"]

OLE_TYPE = "application/x-ole-storage"
_WORD_TYPE = "application/msword"
_EXCEL_TYPE = "application/vnd.ms-excel"
_POWERPOINT_TYPE = "application/vnd.ms-powerpoint"
_WORD_ENCRYPTED = 0x0100  # FibBase.fEncrypted (MS-DOC 2.5.2): RC4 or XOR obfuscation
_BIFF_BOF = 0x0809
_BIFF_EOF = 0x000A
_BIFF_FILEPASS = 0x002F  # MS-XLS 2.4.117: the workbook stream is encrypted from here on
_BIFF_RECORDS_CHECKED = 200  # FILEPASS follows BOF directly; a few dozen records is plenty
_PPT_CRYPT_SESSION = 0x2F14  # MS-PPT CryptSession10Container's record type


def office_encryption(ole: olefile.OleFileIO) -> tuple[str, bool] | None:
    """(content type, encrypted?) of the Office document in ``ole``; None if it is none.

    An encrypted OOXML package is named by the container's type: which kind of document
    is sealed inside cannot be known without the password.
    """
    if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
        return OLE_TYPE, True
    if ole.exists("WordDocument"):
        fib = _head(ole, "WordDocument", 12)
        flags = struct.unpack_from("<H", fib, 10)[0] if len(fib) >= 12 else 0
        return _WORD_TYPE, bool(flags & _WORD_ENCRYPTED)
    for stream in ("Workbook", "Book"):
        if ole.exists(stream):
            return _EXCEL_TYPE, _biff_has_filepass(_head(ole, stream, 64 * 1024))
    if ole.exists("PowerPoint Document"):
        # an encrypted presentation keeps its encryption header in a CryptSession10Container
        # and (usually) an "EncryptedSummary" stream instead of the summary information
        document = _head(ole, "PowerPoint Document", 4 * 1024 * 1024)
        header = b"\x0f\x00" + struct.pack("<H", _PPT_CRYPT_SESSION)  # recVer 0xF, instance 0
        sealed = ole.exists("EncryptedSummary") or header in document
        return _POWERPOINT_TYPE, sealed
    return None


def _head(ole: olefile.OleFileIO, stream: str, size: int) -> bytes:
    with ole.openstream(stream) as fh:
        return fh.read(size)


def _biff_has_filepass(stream: bytes) -> bool:
    """True when the workbook globals (BOF ... EOF) carry a FILEPASS record."""
    at = 0
    for _ in range(_BIFF_RECORDS_CHECKED):
        if at + 4 > len(stream):
            return False
        kind, length = struct.unpack_from("<HH", stream, at)
        if kind == _BIFF_FILEPASS:
            return True
        if kind == _BIFF_EOF or (at == 0 and kind != _BIFF_BOF):
            return False
        at += 4 + length
    return False


class OleOfficeExtractor:
    """Legacy Office documents and encrypted OOXML: kept, said to be encrypted when they are."""

    name = "ole-office"
    content_types = frozenset({OLE_TYPE, _WORD_TYPE, _EXCEL_TYPE, _POWERPOINT_TYPE})
    extensions = frozenset({"doc", "dot", "xls", "xlt", "ppt", "pps", "pot", "docx", "xlsx", "pptx"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """``Encrypted`` for a password-protected Office file; a ``partial`` record (kept,
        not read) for any other legacy Office file; ``Unsupported`` for other OLE files."""
        data = source.read(ctx.limits.max_file_bytes)
        if not data.startswith(OLE_MAGIC):
            raise Unsupported("not an OLE compound file")
        if len(data) < OLE_MIN_SIZE:
            # olefile would take bytes this short for a file *name*; an OLE file is never so small
            raise Corrupt(f"not a readable OLE compound file: truncated ({len(data):,} bytes)")
        try:
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                found = office_encryption(ole)
        except Exception as exc:  # olefile raises OSError, struct.error, IndexError... on damage
            detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise Corrupt(f"not a readable OLE compound file: {detail}") from exc
        if found is None:
            raise Unsupported("an OLE compound file, but not an Office document")
        content_type, encrypted = found
        if encrypted:
            # the same words as a locked PDF's; with a password given we still cannot
            # open it (no Office decryption here), which is said plainly
            raise Encrypted("password required" if not ctx.password else "cannot decrypt Office documents")
        return Record(
            kind=Kind.DOCUMENT,
            title=source.filename.rsplit("/", 1)[-1] or "(unnamed)",
            content_type=content_type,
            filename=source.filename,
            status=Status.PARTIAL,
            error=f"stored; reading {content_type} is not supported",
        )


register(OleOfficeExtractor())
