"""Zip member names in the charset their writer used: the UTF-8 flag, the Info-ZIP Unicode
Path field, CP437 when it reads as Latin letters, else a detected charset (GBK from a
Chinese Windows). The zips are written by zipfile and their name bytes patched in place,
since zipfile itself only writes ASCII or flagged UTF-8 names."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from ingest import Source, Status, extract
from ingest.zipnames import member_names


def _legacy_zip(raw_names: list[bytes], extra: dict[bytes, bytes] | None = None) -> bytes:
    """A zip whose members are named by ``raw_names`` exactly, without the UTF-8 flag."""
    buf = io.BytesIO()
    placeholders: dict[bytes, bytes] = {}
    with zipfile.ZipFile(buf, "w") as archive:
        for index, raw in enumerate(raw_names):
            placeholder = (f"{index:02d}" + "#" * len(raw))[: len(raw)].encode("ascii")
            placeholders[placeholder] = raw
            info = zipfile.ZipInfo(placeholder.decode("ascii"))
            info.extra = (extra or {}).get(raw, b"")
            archive.writestr(info, b"contents of member " + str(index).encode())
    data = buf.getvalue()
    for placeholder, raw in placeholders.items():
        assert data.count(placeholder) == 2  # local header and central directory
        data = data.replace(placeholder, raw)
    return data


def _names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return member_names(archive.infolist())


def test_gbk_names_from_a_chinese_windows_are_read_as_chinese() -> None:
    names = ["合同.pdf", "发票 2024年3月.txt", "会议记录/第一次会议.txt"]
    data = _legacy_zip([n.encode("gbk") for n in names])
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0] == "║╧═¼.pdf"  # what zipfile makes of it
    record = extract(Source.from_bytes(data, "客户.zip"))
    assert record.status is Status.OK
    assert record.text.split("\n") == names
    assert [c.facts["zip_member"] for c in record.children] == names
    assert [c.filename for c in record.children] == ["合同.pdf", "发票 2024年3月.txt", "第一次会议.txt"]


def test_a_single_short_gbk_name_is_read_too() -> None:
    assert _names(_legacy_zip(["合同.pdf".encode("gbk")])) == ["合同.pdf"]


def test_cp437_names_that_read_as_latin_letters_stay_cp437() -> None:
    names = ["Müller Überweisung.txt", "Café façade.txt"]
    assert _names(_legacy_zip([n.encode("cp437") for n in names])) == names


def test_utf8_names_without_the_flag_are_read_as_utf8() -> None:
    names = ["Договор подряда.pdf", "契約書.pdf"]
    assert _names(_legacy_zip([n.encode("utf-8") for n in names])) == names


def test_the_utf8_flag_is_honoured() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("Счёт №15.pdf", b"x")  # zipfile sets bit 11 for non-ASCII names
    info = zipfile.ZipFile(io.BytesIO(buf.getvalue())).infolist()[0]
    assert info.flag_bits & 0x800
    assert _names(buf.getvalue()) == ["Счёт №15.pdf"]


def test_the_unicode_path_field_names_the_member_when_it_matches() -> None:
    raw = "Smlouva.pdf".replace("S", "\x8e").encode("latin-1")  # some legacy bytes
    utf8 = "Žmlouva o dílo.pdf".encode()
    field = b"\x01" + struct.pack("<I", zlib.crc32(raw)) + utf8
    stale = b"\x01" + struct.pack("<I", zlib.crc32(b"another name")) + utf8
    extra = {
        raw: struct.pack("<HH", 0x7075, len(field)) + field,
        raw + b"2": struct.pack("<HH", 0x7075, len(stale)) + stale,
    }
    first, second = _names(_legacy_zip([raw, raw + b"2"], extra))
    assert first == "Žmlouva o dílo.pdf"
    assert second == "Ämlouva.pdf2"  # a field left stale by a rename is ignored: CP437 it is
