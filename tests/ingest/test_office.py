"""Office files in OLE containers: password-protected ones say "encrypted" (as a locked PDF
does), other legacy ones are kept unread, other OLE files are unsupported. The OLE files
are built here (``ole_samples``): no Office suite runs on this machine."""

from __future__ import annotations

import pytest

from ingest import Context, Source, Status, extract
from tests.ingest.ole_samples import ole_file, word_fib, xls_workbook

# what a password-protected .docx is (MS-OFFCRYPTO): the package encrypted inside OLE
_AGILE_INFO = b"\x04\x00\x04\x00\x40\x00\x00\x00<?xml version='1.0'?><encryption/>"
_SEALED_PACKAGE = (1234).to_bytes(8, "little") + b"\x8f\x1e" * 100


@pytest.mark.parametrize(
    ("name", "streams"),
    [
        ("contract.docx", {"EncryptionInfo": _AGILE_INFO, "EncryptedPackage": _SEALED_PACKAGE}),
        ("budget.xlsx", {"EncryptionInfo": _AGILE_INFO, "EncryptedPackage": _SEALED_PACKAGE}),
        ("letter.doc", {"WordDocument": word_fib(encrypted=True), "1Table": b"\x00" * 64}),
        ("invoices.xls", {"Workbook": xls_workbook(encrypted=True)}),
        ("deck.ppt", {"PowerPoint Document": b"\x00" * 64, "EncryptedSummary": b"\x00", "Current User": b"\x00"}),
    ],
)
def test_password_protected_office_files_are_reported_encrypted(name: str, streams: dict[str, bytes]) -> None:
    record = extract(Source.from_bytes(ole_file(streams), name))
    assert record.status is Status.FAILED
    assert record.error == "encrypted: password required"  # the words a locked PDF gets


def test_a_password_does_not_pretend_to_open_an_encrypted_office_file() -> None:
    data = ole_file({"EncryptionInfo": _AGILE_INFO, "EncryptedPackage": _SEALED_PACKAGE})
    record = extract(Source.from_bytes(data, "contract.docx"), Context(password="hunter2"))
    assert record.status is Status.FAILED
    assert record.error == "encrypted: cannot decrypt Office documents"


@pytest.mark.parametrize(
    ("name", "streams", "content_type"),
    [
        ("letter.doc", {"WordDocument": word_fib(encrypted=False)}, "application/msword"),
        ("invoices.xls", {"Workbook": xls_workbook(encrypted=False)}, "application/vnd.ms-excel"),
    ],
)
def test_unencrypted_legacy_office_files_are_kept_unread(
    name: str, streams: dict[str, bytes], content_type: str
) -> None:
    record = extract(Source.from_bytes(ole_file(streams), name))
    assert record.status is Status.PARTIAL
    assert record.content_type == content_type
    assert record.error == f"stored; reading {content_type} is not supported"


def test_an_ole_file_that_is_no_office_document_is_unsupported() -> None:
    record = extract(Source.from_bytes(ole_file({"Thumbnail Cache": b"\x01" * 32}), "Thumbs.db"))
    assert record.status is Status.FAILED
    assert record.error == "unsupported: an OLE compound file, but not an Office document"


def test_a_truncated_ole_file_is_corrupt_not_a_traceback() -> None:
    data = ole_file({"WordDocument": word_fib(encrypted=True)})
    record = extract(Source.from_bytes(data[:1000], "letter.doc"))
    assert record.status is Status.FAILED
    assert record.error == "corrupt: not a readable OLE compound file: truncated (1,000 bytes)"
