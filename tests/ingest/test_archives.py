"""Zip archives: members become children; every hostile zip is refused with a one-line
reason, built in memory here (bombs, overlapping entries, traversal names, deep nesting),
and nothing is ever written to disk."""

from __future__ import annotations

import io
import os
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from ingest import Context, Kind, LimitReached, Limits, Source, Status, extract
from ingest.archives import _read_member, unsafe_member_name

MiB = 1024 * 1024


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _pdf_bytes(text: str) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buf.getvalue()


def _extract(data: bytes, name: str = "bundle.zip", **limits: object):
    record = extract(Source.from_bytes(data, name), Context(limits=Limits(**limits)))  # type: ignore[arg-type]
    return record


@pytest.fixture(autouse=True)
def nothing_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Runs each test in an empty folder and checks that it and the temp dir stay as they were."""
    monkeypatch.chdir(tmp_path)
    temp = Path(tempfile.gettempdir())
    before = set(os.listdir(temp))
    yield
    assert list(tmp_path.iterdir()) == []
    assert not any(name.startswith(("evil", "bomb")) for name in set(os.listdir(temp)) - before)


def test_members_become_children_with_their_bytes() -> None:
    pdf = _pdf_bytes("Statement of work, signed 3 May 2024")
    data = _zip({"docs/sow.pdf": pdf, "notes/readme.txt": b"Read me first.\n", "empty/": b""})
    record = _extract(data)
    assert record.status is Status.OK
    assert record.kind is Kind.DOCUMENT
    assert record.content_type == "application/zip"
    children = list(record.children)
    assert [c.facts["zip_member"] for c in children] == ["docs/sow.pdf", "notes/readme.txt"]
    assert [c.filename for c in children] == ["sow.pdf", "readme.txt"]  # the label; the path is a fact
    sow, readme = children
    assert sow.data == pdf
    assert sow.content_type == "application/pdf" and "Statement of work" in sow.text
    assert sow.facts["page_count"] == 1
    assert readme.data == b"Read me first.\n"
    assert record.facts["zip_members"] == 2
    assert "docs/sow.pdf" in record.text


def test_member_that_fails_is_a_failed_child_not_a_failed_zip() -> None:
    record = _extract(_zip({"broken.pdf": b"%PDF-1.4\n%%EOF\n", "ok.txt": b"fine"}))
    assert record.status is Status.OK
    broken, ok = record.children
    assert broken.status is Status.FAILED and broken.error.startswith("corrupt: ")
    assert broken.data == b"%PDF-1.4\n%%EOF\n"
    assert ok.status is not Status.FAILED


def test_classic_zip_bomb() -> None:
    # 200 MiB of zeros deflate to ~200 KB: ratio ~1000:1
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\x00" * MiB
    deflated = b"".join(packer.compress(chunk) for _ in range(200)) + packer.flush()
    data = _raw_zip([("zeros.bin", deflated, 200 * MiB, _crc_of_zeros(200))])
    assert len(data) < 1 * MiB
    record = _extract(data, "bomb.zip")
    assert record.status is Status.FAILED
    assert record.error.startswith("limit: member 'zeros.bin' expands 1,0")
    assert record.error.endswith("over max_zip_ratio (200)")


def test_expansion_cap_on_declared_sizes() -> None:
    data = _zip({f"part{i}.txt": os.urandom(300_000) for i in range(4)}, zipfile.ZIP_STORED)
    record = _extract(data, max_zip_expansion_bytes=1_000_000)
    assert record.status is Status.FAILED
    assert record.error == ("limit: members declare 1,200,000 bytes, over max_zip_expansion_bytes (1,000,000)")


def test_member_whose_size_lies_is_refused_after_its_declared_bytes() -> None:
    """A member declaring 1 KB that really inflates to 5 MiB: inflating stops at 1 KB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = packer.compress(b"A" * 5 * MiB) + packer.flush()
    record = _extract(_raw_zip([("liar.txt", deflated, 1024, 0)]), "liar.zip")
    assert record.status is Status.FAILED
    assert record.error == "corrupt: zip member 'liar.txt' is damaged (Bad CRC-32 for file 'liar.txt')"


def test_inflating_stops_as_soon_as_the_running_total_passes_the_cap() -> None:
    data = _zip({"a.txt": b"a" * 400_000, "b.txt": b"b" * 400_000})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first, second = archive.infolist()
        limits = Limits(max_zip_expansion_bytes=500_000)
        assert _read_member(archive, first, limits, 0) == b"a" * 400_000
        with pytest.raises(LimitReached, match="inflate past max_zip_expansion_bytes"):
            _read_member(archive, second, limits, 400_000)


def test_member_count_cap() -> None:
    data = _zip({f"f{i}.txt": b"x" for i in range(30)})
    record = _extract(data, max_zip_members=20)
    assert record.status is Status.FAILED
    assert record.error == "limit: 30 members is over max_zip_members (20)"


def test_overlapping_entry_bomb() -> None:
    """Fifield's construction: many central-directory entries share one compressed kernel."""
    kernel = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = kernel.compress(b"\x00" * 100_000) + kernel.flush()
    local = _local_header("a.bin", body, 100_000, zlib.crc32(b"\x00" * 100_000))
    entries = [(f"{n}.bin", 0, len(body), 100_000, zlib.crc32(b"\x00" * 100_000)) for n in "abcdef"]
    data = local + body
    data += _central_directory(entries, start=len(data))
    record = _extract(data, "overlap.zip")
    assert record.status is Status.FAILED
    assert record.error == "corrupt: overlapping entries 'a.bin' and 'b.bin' (a zip bomb)"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.txt", "path traversal"),
        ("docs/../../evil.txt", "path traversal"),
        ("..\\..\\evil.txt", "path traversal"),
        ("/etc/evil", "absolute path"),
        ("\\\\server\\share\\evil.txt", "absolute path"),
        ("C:\\Windows\\evil.txt", "drive letter"),
        ("c:evil.txt", "drive letter"),
    ],
)
def test_unsafe_names_are_refused(name: str, why: str) -> None:
    assert unsafe_member_name(name) == why
    record = _extract(_zip({"fine.txt": b"ok", name: b"pwned"}), "evil.zip")
    assert record.status is Status.FAILED
    assert record.error == f"corrupt: unsafe member name {name!r} ({why})"
    assert not Path("evil.txt").exists()


@pytest.mark.parametrize("name", ["a/b/c.txt", "dots..in..name.txt", "..hidden", "x/.../y"])
def test_odd_but_safe_names(name: str) -> None:
    assert unsafe_member_name(name) is None


def test_nesting_is_capped() -> None:
    inner = _zip({"deepest.txt": b"bottom"})
    for level in range(3):
        inner = _zip({f"level{level}.zip": inner})
    record = _extract(inner, "nested.zip", max_nesting=2)
    assert record.status is Status.OK
    (level2,) = record.children
    assert level2.status is Status.OK
    (level1,) = level2.children
    assert level1.status is Status.FAILED
    assert level1.error == "limit: nested more than 2 containers deep"
    assert level1.facts["zip_member"] == "level1.zip"


def _with_encrypted_last_member(members: dict[str, bytes]) -> bytes:
    """A stored zip whose last member carries the encryption flag (stdlib cannot encrypt:
    the flag bit is set by hand in its local header and its central directory record)."""
    data = bytearray(_zip(members, zipfile.ZIP_STORED))
    data[data.rfind(b"PK\x03\x04") + 6] |= 0x01  # local header general purpose flags
    data[data.rfind(b"PK\x01\x02") + 8] |= 0x01
    return bytes(data)


def test_encrypted_members_need_a_password_and_say_which() -> None:
    record = _extract(_with_encrypted_last_member({"secret.txt": b"hidden"}), "secret.zip")
    assert record.status is Status.PARTIAL
    assert record.error == "encrypted: password required for zip member 'secret.txt'"
    (child,) = record.children
    assert child.status is Status.FAILED
    assert child.error == "encrypted: password required for zip member 'secret.txt'"
    assert child.facts["zip_member"] == "secret.txt"


def test_the_open_members_of_a_partly_encrypted_zip_are_still_read() -> None:
    data = _with_encrypted_last_member({"minutes.txt": b"Met the client on site", "payroll/secret.txt": b"hidden"})
    record = _extract(data, "mixed.zip")
    assert record.status is Status.PARTIAL
    assert record.error == "encrypted: password required for zip member 'payroll/secret.txt'"
    readable, locked = record.children
    assert (readable.status, readable.text) == (Status.OK, "Met the client on site")
    assert readable.data == b"Met the client on site"
    assert (locked.status, locked.filename, locked.data) == (Status.FAILED, "secret.txt", None)


def test_a_wrong_password_names_the_member() -> None:
    data = _with_encrypted_last_member({"secret.txt": b"hidden"})
    record = extract(Source.from_bytes(data, "secret.zip"), Context(password="not it"))
    assert record.status is Status.PARTIAL
    assert record.children[0].error == "encrypted: wrong password for zip member 'secret.txt'"


def test_several_unreadable_members_are_summed_up_on_the_archive() -> None:
    data = bytearray(_zip({"a.txt": b"one", "b.txt": b"two"}, zipfile.ZIP_STORED))
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:  # every local header...
        data[at + 6] |= 0x01
        at += 4
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:  # ...and every central record
        data[at + 8] |= 0x01
        at += 4
    record = _extract(bytes(data), "both.zip")
    assert record.status is Status.PARTIAL
    assert record.error == (
        "encrypted: 2 members could not be read ('a.txt', 'b.txt'); first: password required for zip member 'a.txt'"
    )


def test_not_a_zip_after_all() -> None:
    record = _extract(b"PK\x03\x04" + b"\x00" * 100, "broken.zip")
    assert record.status is Status.FAILED
    assert record.error.startswith("corrupt: ")


# ---- hand-built zip pieces ---------------------------------------------------------------


def _crc_of_zeros(mebibytes: int) -> int:
    crc = 0
    chunk = b"\x00" * MiB
    for _ in range(mebibytes):
        crc = zlib.crc32(chunk, crc)
    return crc


def _local_header(name: str, body: bytes, size: int, crc: int) -> bytes:
    encoded = name.encode()
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), size, len(encoded), 0) + encoded


def _central_directory(entries: list[tuple[str, int, int, int, int]], start: int) -> bytes:
    records = b""
    for name, offset, compressed, size, crc in entries:
        encoded = name.encode()
        records += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                compressed,
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(records), start, 0)
    return records + end


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A deflate zip from pre-compressed bodies with whatever sizes we choose to declare."""
    data = b""
    entries = []
    for name, body, size, crc in members:
        entries.append((name, len(data), len(body), size, crc))
        data += _local_header(name, body, size, crc) + body
    return data + _central_directory(entries, start=len(data))


def test_a_member_named_to_deceive_is_labelled_by_a_name_safe_to_show() -> None:
    tricky = "invoices/invoice\u202efdp.exe"  # shows as "invoiceexe.pdf" where bidi controls work
    record = _extract(_zip({tricky: b"MZ not really a program", "bin/CON": b"a device name", "tab\there.txt": b"x"}))
    names = [c.filename for c in record.children]
    assert names == ["invoicefdp.exe", "_CON", "tabhere.txt"]
    assert [c.facts["zip_member"] for c in record.children] == [tricky, "bin/CON", "tab\there.txt"]


def test_a_member_compressed_in_a_way_we_cannot_undo_is_named_and_the_rest_read() -> None:
    data = bytearray(_zip({"minutes.txt": b"Met the client", "notes.txt": b"PPMd-packed"}, zipfile.ZIP_STORED))
    data[data.rfind(b"PK\x03\x04") + 8] = 98  # PPMd, which zipfile does not implement
    data[data.rfind(b"PK\x01\x02") + 10] = 98
    record = _extract(bytes(data), "packed.zip")
    assert record.status is Status.PARTIAL
    assert record.error == "unsupported: zip member 'notes.txt': That compression method is not supported"
    assert [c.status for c in record.children] == [Status.OK, Status.FAILED]


def test_an_aes_encrypted_member_with_a_password_says_we_cannot_open_that_encryption() -> None:
    data = bytearray(_with_encrypted_last_member({"secret.txt": b"hidden"}))
    data[data.rfind(b"PK\x03\x04") + 8] = 99  # WinZip AES: zipfile cannot decrypt it
    data[data.rfind(b"PK\x01\x02") + 10] = 99
    record = extract(Source.from_bytes(bytes(data), "aes.zip"), Context(password="right or wrong"))
    assert record.children[0].error == (
        "encrypted: zip member 'secret.txt' uses an encryption we cannot open "
        "(That compression method is not supported)"
    )
