"""The evidence bundle built by the service: contents, numbering, families, scope, determinism."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import select

from app import changes
from app.archive import Archive, open_archive
from app.bundle import export_bundle, verify_bundle
from app.bundle.index import COLUMNS
from app.bundle.zipout import BundleZip
from app.config import Settings
from app.errors import InvalidInput
from app.ingesting import ingest_bytes, ingest_paths
from app.models import Item, LedgerEntry
from app.tags import tag_item
from tests.conftest import SAMPLES
from tests.ingest.pdf_samples import mail_with_pdf, one_line_pdf

AS_OF = date(2024, 8, 20)
FORMULA_MAIL = (
    b"From: Mallory <mallory@evil.example>\r\nTo: dana@whitfield-digital.example\r\n"
    b"Subject: =HYPERLINK(\"http://evil.example\",\"click\")\r\nDate: Mon, 3 Jun 2024 10:00:00 +0100\r\n"
    b"Message-ID: <formula@evil.example>\r\n\r\nHello.\r\n"
)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    data = tmp_path_factory.mktemp("bundle") / "data"
    opened = open_archive(Settings(data=data, actor="tester", timezone="Europe/London"))
    changes.init_archive(opened, me=["dana@whitfield-digital.example", "whitfield-digital.example"])
    ingest_paths(opened, paths=[SAMPLES / "northwind"], client="northwind")  # runs real OCR on the scan
    ingest_paths(opened, paths=[SAMPLES / "bluebird"], client="bluebird")
    ingest_bytes(opened, data=FORMULA_MAIL, filename="formula.eml", client="mallory")
    ingest_bytes(opened, data=b"+SUM(1,2)\nnot a formula\n", filename="-cmd.txt", client="mallory")
    ingest_bytes(opened, data=b"%PDF-1.4 truncated", filename="broken.pdf", client="mallory")
    ingest_bytes(opened, data=("\n".join(f"line {n} of a long note" for n in range(400))).encode(),
                 filename="long-note.txt", client="mallory")
    ingest_bytes(opened, data=_picture(), filename="whiteboard.png", client="mallory")
    changes.add_event(opened, client="mallory", when="2024-06-03 10:15", kind="call",
                      title="Called Greg, no answer", text="Left a voicemail.")
    yield opened
    opened.close()


def _picture() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 300), "white")
    ImageDraw.Draw(image).text((40, 120), "INVOICE 42 IS OVERDUE", fill="black", font_size=60)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _export(archive: Archive, folder: Path, **kwargs: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    summary = export_bundle(archive, out=folder, as_of=AS_OF, **kwargs)  # type: ignore[arg-type]
    return Path(summary.path)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _rows(members: dict[str, bytes]) -> list[dict[str, object]]:
    return json.loads(members["index.json"])["documents"]


@pytest.fixture(scope="module")
def northwind(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _export(archive, tmp_path_factory.mktemp("out"), client="northwind")


@pytest.fixture(scope="module")
def members(northwind: Path) -> dict[str, bytes]:
    return _members(northwind)


@pytest.fixture(scope="module")
def mallory(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _members(_export(archive, tmp_path_factory.mktemp("mallory"), client="mallory"))


def test_default_name_and_every_part_is_there(northwind: Path, members: dict[str, bytes]) -> None:
    assert northwind.name == "northwind-evidence-2024-08-20.zip"
    for name in ("README.txt", "SHA256SUMS", "index.csv", "index.json", "custody.json",
                 "loadfiles/NOR.dat", "loadfiles/NOR.opt", "timeline.html", "timeline.csv",
                 "checkpoint/checkpoint.json", "checkpoint/statement.json"):
        assert name in members, name
    assert "checkpoint/token.tsr" not in members  # no time-stamping authority set for this archive
    assert {n.split("/")[0] for n in members if "/" in n} == {"natives", "pdf", "text", "loadfiles", "checkpoint"}
    assert list(members) == sorted(members)  # a fixed, sorted member order


def test_natives_are_byte_identical_to_the_originals(archive: Archive, members: dict[str, bytes]) -> None:
    by_name = {r["OriginalFilename"]: r for r in _rows(members) if r["NativePath"]}
    originals = [p for p in (SAMPLES / "northwind").rglob("*") if p.is_file()]
    assert len(originals) == 11
    for path in originals:
        row = by_name[path.name]
        assert members[row["NativePath"]] == path.read_bytes(), path.name
    for row in _rows(members):
        if row["NativePath"]:
            native = members[row["NativePath"]]
            assert hashlib.sha256(native).hexdigest() == row["SHA256"]
            assert native == archive.blobs.read(row["SHA256"])
    assert by_name["northwind-2024.mbox#1"]["NativePath"].endswith(".eml")
    assert by_name["consultancy-agreement-signed.pdf"]["NativePath"] == "natives/" + \
        by_name["consultancy-agreement-signed.pdf"]["BegBates"] + ".pdf"


def _stamp_positions(page: object) -> list[tuple[str, float, float]]:
    found: list[tuple[str, float, float]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, _size: object) -> None:
        if text.strip():
            found.append((text.strip(), tm[4], tm[5]))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return found


def test_bates_numbers_are_contiguous_and_stamped_bottom_right_on_every_page(members: dict[str, bytes]) -> None:
    rows = _rows(members)
    expected = 1
    for row in rows:
        first, last = int(row["BegBates"][3:]), int(row["EndBates"][3:])
        assert row["BegBates"].startswith("NOR") and first == expected
        assert row["ControlNumber"] == row["BegBates"] and last - first + 1 == row["PageCount"]
        reader = PdfReader(io.BytesIO(members[row["PdfPath"]]))
        assert len(reader.pages) == row["PageCount"]
        for offset, page in enumerate(reader.pages):
            stamp = f"NOR{first + offset:06d}"
            assert stamp in page.extract_text(), (row["PdfPath"], offset)
        expected = last + 1
    assert expected - 1 == json.loads(members["index.json"])["bundle"]["pages"]
    scan = next(r for r in rows if r["OriginalFilename"] == "consultancy-agreement-signed.pdf")
    assert scan["PageCount"] == 3
    page = PdfReader(io.BytesIO(members[scan["PdfPath"]])).pages[2]
    width = float(page.mediabox.width)
    position = [p for p in _stamp_positions(page) if p[0] == scan["EndBates"]]
    assert position and position[0][1] > width / 2 and position[0][2] < 60  # bottom right
    assert "CONSULTANCY AGREEMENT" in PdfReader(io.BytesIO(members[scan["PdfPath"]])).pages[0].extract_text()


def test_email_families_stay_together(members: dict[str, bytes]) -> None:
    rows = _rows(members)
    invoice = next(i for i, r in enumerate(rows) if str(r["Title"]).startswith("Invoice INV-2024-007 –"))
    mail, attachment = rows[invoice], rows[invoice + 1]
    assert attachment["OriginalFilename"] == "INV-2024-007.pdf" and attachment["Kind"] == "attachment"
    assert mail["BegAttach"] == attachment["BegAttach"] == mail["BegBates"]
    assert mail["EndAttach"] == attachment["EndAttach"] == attachment["EndBates"]
    lonely = next(r for r in rows if r["OriginalFilename"] == "greg-staging-feedback.eml")
    assert lonely["BegAttach"] == lonely["EndAttach"] == ""
    page = PdfReader(io.BytesIO(members[mail["PdfPath"]])).pages[0].extract_text()
    assert "Zoë" not in page or "Adeyemi" in page
    assert "Attachments" in page and "INV-2024-007.pdf" in page and "email header" in page
    text = members[mail["TextPath"]].decode()
    assert text.startswith("From: Dana Whitfield <dana@whitfield-digital.example>") and "Subject: Invoice" in text


def test_a_selected_attachment_brings_its_family(tmp_path: Path) -> None:
    own = open_archive(Settings(data=tmp_path / "data", actor="tester", timezone="Europe/London"))
    try:
        changes.init_archive(own, me=["dana@whitfield-digital.example"])
        agreement = one_line_pdf("This Consultancy Agreement is made on 15 January 2024 between A and B.")
        mail = mail_with_pdf(agreement, sender="dana@whitfield-digital.example", subject="The signed agreement, again",
                             date_header="Wed, 05 Jun 2024 10:00:00 +0100", filename="agreement.pdf")
        ingest_bytes(own, data=mail, filename="again.eml", client="northwind")
        # the agreement says 15 January (its own date) while its email is from 5 June
        rows = _rows(_members(_export(own, tmp_path / "out", client="northwind", date_from=date(2024, 1, 15),
                                      date_to=date(2024, 1, 15))))
    finally:
        own.close()
    assert [(r["Kind"], r["Title"]) for r in rows] == [
        ("email", "The signed agreement, again"), ("attachment", "agreement.pdf"),
    ]  # the parent came along
    assert all(r["Date"] for r in rows)


def test_containers_come_last_with_a_slip_sheet_and_call_rows_have_no_native(members: dict[str, bytes]) -> None:
    rows = _rows(members)
    mbox = next(r for r in rows if r["OriginalFilename"] == "northwind-2024.mbox")
    csv_log = next(r for r in rows if r["OriginalFilename"] == "call-log-2024.csv" and r["Kind"] == "document")
    assert {rows[-1]["ItemId"], rows[-2]["ItemId"]} == {mbox["ItemId"], csv_log["ItemId"]}
    assert mbox["PageCount"] == 1 and mbox["NativePath"].endswith(".mbox")
    slip = PdfReader(io.BytesIO(members[mbox["PdfPath"]])).pages[0].extract_text()
    first_message = next(r for r in rows if r["OriginalFilename"] == "northwind-2024.mbox#1")
    assert "Container" in slip and "32 in the file; 32 produced" in slip and first_message["BegBates"] in slip
    calls = [r for r in rows if r["Kind"] == "call"]
    assert len(calls) == 11 and all(r["NativePath"] == "" and r["SHA256"] == "" for r in calls)
    page = PdfReader(io.BytesIO(members[calls[5]["PdfPath"]])).pages[0].extract_text()
    assert "Call log row 7 of call-log-2024.csv" in page and "Zoë Adeyemi" in page
    assert "2024-06-03 14:00 +01:00" in page  # as written, with its offset


def test_undated_items_only_without_a_date_filter(archive: Archive, members: dict[str, bytes], tmp_path: Path) -> None:
    assert any(r["Date"] == "" for r in _rows(members))
    filtered = _rows(_members(_export(archive, tmp_path, client="northwind", date_from=date(2024, 1, 1))))
    assert filtered and all(r["Date"] for r in filtered)


def test_a_client_bundle_never_holds_another_clients_items(archive: Archive, members: dict[str, bytes],
                                                          tmp_path: Path) -> None:
    with archive.read() as session:
        owners = {i.id: i.client_id for i in session.exec(select(Item)).all()}
        northwind_id = owners[_rows(members)[0]["ItemId"]]
    assert {owners[r["ItemId"]] for r in _rows(members)} == {northwind_id}
    assert not any(b"bluebird" in data.lower() for name, data in members.items() if name.startswith("natives/"))
    bluebird = _members(_export(archive, tmp_path, client="bluebird"))
    assert {owners[r["ItemId"]] for r in _rows(bluebird)} != {northwind_id}
    assert not any(b"northwind" in data.lower() for name, data in bluebird.items() if name.startswith("natives/"))
    assert len(_rows(bluebird)) == 6


def test_two_exports_are_byte_identical_with_fixed_timestamps(archive: Archive, northwind: Path,
                                                              tmp_path: Path) -> None:
    again = _export(archive, tmp_path, client="northwind")
    assert again.read_bytes() == northwind.read_bytes()
    with archive.read() as session:
        newest = max(i.ingested_at_utc for i in session.exec(select(Item)).all()
                     if i.client_id == session.get(Item, _rows(_members(again))[0]["ItemId"]).client_id)
    with zipfile.ZipFile(again) as zf:
        stamps = {info.date_time for info in zf.infolist()}
        modes = {info.external_attr for info in zf.infolist()}
    assert stamps == {(newest.year, newest.month, newest.day, newest.hour, newest.minute, newest.second // 2 * 2)}
    assert len(modes) == 1


def test_formula_injection_is_neutralised_in_the_csv_only(mallory: dict[str, bytes]) -> None:
    bundle = mallory
    csv_text = bundle["index.csv"].decode("utf-8-sig")
    assert "'=HYPERLINK(" in csv_text and ",=HYPERLINK" not in csv_text and ",\"=HYPERLINK" not in csv_text
    assert "'-cmd.txt" in csv_text and ",-cmd.txt" not in csv_text
    assert "\"'+SUM(1,2)\"" in csv_text and ",\"+SUM" not in csv_text
    exact = {r["Title"] for r in _rows(bundle)}
    assert '=HYPERLINK("http://evil.example","click")' in exact  # JSON keeps the exact value


def test_unreadable_files_get_a_slip_sheet_and_long_text_paginates(mallory: dict[str, bytes]) -> None:
    bundle = mallory
    rows = {r["OriginalFilename"]: r for r in _rows(bundle)}
    broken = rows["broken.pdf"]
    slip = PdfReader(io.BytesIO(bundle[broken["PdfPath"]])).pages[0].extract_text()
    assert "Produced in native form only" in slip and broken["SHA256"] in slip and "could not be shown" in slip
    assert broken["Status"] == "failed" and broken["TextPath"] == "" and broken["NativePath"]
    long = rows["long-note.txt"]
    assert long["PageCount"] >= 2
    last = PdfReader(io.BytesIO(bundle[long["PdfPath"]])).pages[-1].extract_text()
    assert "line 399 of a long note" in last and long["EndBates"] in last


def test_load_files_parse_back(members: dict[str, bytes]) -> None:
    rows = _rows(members)
    lines = members["loadfiles/NOR.dat"].decode("utf-8-sig").split("\r\n")
    assert lines[-1] == ""
    parsed = [[cell.strip("þ") for cell in line.split("\x14")] for line in lines[:-1]]
    assert tuple(parsed[0]) == COLUMNS and len(parsed) == len(rows) + 1
    for row, cells in zip(rows, parsed[1:], strict=True):
        record = dict(zip(COLUMNS, cells, strict=True))
        assert record["BegBates"] == row["BegBates"] and record["SHA256"] == row["SHA256"]
        assert record["NativePath"].replace("\\", "/") == row["NativePath"]
        assert record["Title"] == row["Title"]
    opt = members["loadfiles/NOR.opt"].decode("ascii").split("\r\n")[:-1]
    assert len(opt) == sum(int(r["PageCount"]) for r in rows)
    for number, line in enumerate(opt, start=1):
        key, volume, image, doc_break, _folder, _box, pages = line.split(",")
        assert key == f"NOR{number:06d}" and volume == "NOR001"
        assert image.replace("\\", "/") in members and image.startswith("pdf\\")
    starts = {line.split(",")[0]: line.split(",") for line in opt if line.split(",")[3] == "Y"}
    assert set(starts) == {r["BegBates"] for r in rows}
    assert all(starts[r["BegBates"]][6] == str(r["PageCount"]) for r in rows)


def test_custody_json_and_the_export_entry(archive: Archive, members: dict[str, bytes], northwind: Path) -> None:
    custody = json.loads(members["custody.json"])
    rows = _rows(members)
    assert [d["control_number"] for d in custody["documents"]] == [r["BegBates"] for r in rows]
    for document in custody["documents"]:
        entries = document["entries"]
        assert entries and entries[0]["action"] == "ingest"
        for e in entries:
            # the rule custody.json spells out, followed literally (not our entry_hash)
            body = {"seq": e["seq"], "at": e["at"], "actor": e["actor"], "action": e["action"],
                    "item": e["item_id"], "details": e["details"], "prev_hash": e["prev_hash"]}
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert e["hash"] == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    head = custody["ledger_head"]
    with archive.read() as session:
        exports = session.exec(select(LedgerEntry).where(LedgerEntry.action == "export")).all()
        assert session.get(LedgerEntry, head["seq"]).hash == head["hash"]
    assert all(e.seq > head["seq"] for e in exports)
    recorded = [json.loads(e.details) for e in exports if json.loads(e.details)["file"] == northwind.name]
    zip_sha = hashlib.sha256(northwind.read_bytes()).hexdigest()
    mine = next(d for d in recorded if d["zip_sha256"] == zip_sha)
    assert mine["sha256sums_sha256"] == hashlib.sha256(members["SHA256SUMS"]).hexdigest()
    assert mine["items"] == len(rows) and mine["client"] == "northwind"


def test_readme_says_who_when_what_and_how_to_verify(members: dict[str, bytes]) -> None:
    readme = members["README.txt"].decode()
    rows = _rows(members)
    assert "Prepared by   tester" in readme and "Bundle date   2024-08-20" in readme
    assert f"{len(rows)} documents" in readme and f"Bates NOR000001 to {rows[-1]['EndBates']}" in readme
    assert "sha256sum -c SHA256SUMS" in readme and "unzip northwind-evidence-2024-08-20.zip" in readme
    assert "container" in readme.lower()


def test_timeline_cites_bates_numbers(members: dict[str, bytes]) -> None:
    rows = _rows(members)
    timeline = members["timeline.csv"].decode("utf-8").splitlines()
    header = timeline[0].split(",")
    assert "Source" in header
    first_mail = next(r for r in rows if r["OriginalFilename"] == "northwind-2024.mbox#1")
    line = next(x for x in timeline if "Loyalty programme for our web shop" in x)
    assert f",{first_mail['BegBates']}," in line
    scan = next(r for r in rows if r["OriginalFilename"] == "consultancy-agreement-signed.pdf")
    pages = {f"NOR{n:06d}" for n in range(int(scan["BegBates"][3:]), int(scan["EndBates"][3:]) + 1)}
    assert any(p in members["timeline.html"].decode() for p in pages)


def test_tag_and_query_select_items_with_their_families(archive: Archive, tmp_path: Path) -> None:
    with archive.read() as session:
        notes = session.exec(select(Item).where(Item.original_filename == "release-notes-v1.0.txt")).one()
    tag_item(archive, item_id=notes.id, tag="delivery")  # type: ignore[arg-type]
    tagged = _rows(_members(_export(archive, tmp_path / "tag", client="northwind", tag="delivery")))
    assert [r["Kind"] for r in tagged] == ["email", "attachment"]
    assert tagged[0]["Title"] == "Delivery: Northwind loyalty module v1.0" and tagged[1]["Tags"] == "delivery"
    found = _rows(_members(_export(archive, tmp_path / "query", client="northwind", query="referral bonus")))
    assert found and any("referral bonus" in str(r["Title"]).lower() for r in found)
    assert len(found) < 40


def test_bad_selections_are_clear_errors(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a usable Bates prefix"):
        export_bundle(archive, client="northwind", out=tmp_path, prefix="nw r")
    with pytest.raises(InvalidInput, match="nothing to export"):
        export_bundle(archive, client="northwind", out=tmp_path, date_from=date(2030, 1, 1))
    with pytest.raises(InvalidInput, match="after --to"):
        export_bundle(archive, client="northwind", out=tmp_path, date_from=date(2024, 5, 1), date_to=date(2024, 4, 1))
    target = tmp_path / "exists.zip"
    target.write_bytes(b"keep me")
    with pytest.raises(InvalidInput, match="already exists"):
        export_bundle(archive, client="bluebird", out=target)
    assert target.read_bytes() == b"keep me"


def test_a_failed_export_leaves_no_zip_and_no_record(archive: Archive, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    real = BundleZip.add_stream

    def failing(self: BundleZip, name: str, *args: object, **kwargs: object) -> str:
        seen.append(sorted(os.listdir(tmp_path)))
        if len(seen) == 3:
            raise OSError("disk full")
        return real(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(BundleZip, "add_stream", failing)
    with archive.read() as session:
        before = len(session.exec(select(LedgerEntry)).all())
    with pytest.raises(OSError, match="disk full"):
        export_bundle(archive, client="bluebird", out=tmp_path, as_of=AS_OF)
    # while it was writing, only a .partial (and the staging folder) existed
    assert any(".partial-" in n for n in seen[0]) and "bluebird-evidence-2024-08-20.zip" not in seen[0]
    assert os.listdir(tmp_path) == []
    with archive.read() as session:
        assert len(session.exec(select(LedgerEntry)).all()) == before


def test_verify_finds_an_unstamped_page_and_unsafe_names(northwind: Path, tmp_path: Path) -> None:
    assert verify_bundle(path=northwind).ok
    with zipfile.ZipFile(northwind) as zf:
        contents = {n: zf.read(n) for n in zf.namelist()}
    rows = json.loads(contents["index.json"])["documents"]
    blank = io.BytesIO()
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(blank)
    contents[rows[0]["PdfPath"]] = blank.getvalue()
    sums = contents["SHA256SUMS"].decode().splitlines()
    contents["SHA256SUMS"] = "".join(
        (f"{hashlib.sha256(blank.getvalue()).hexdigest()}  {rows[0]['PdfPath']}" if line.endswith(rows[0]["PdfPath"])
         else line) + "\n" for line in sums
    ).encode()
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zf:
        for name, data in contents.items():
            zf.writestr(name, data)
        zf.writestr("../escape.txt", b"x")
    report = verify_bundle(path=forged)
    assert not report.ok
    assert f"{rows[0]['PdfPath']} page 1 is not stamped NOR000001" in report.problems
    assert any("unsafe member name '../escape.txt'" in p for p in report.problems)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_zip_timestamp_never_uses_the_clock() -> None:
    from app.bundle.zipout import zip_timestamp

    assert zip_timestamp(None) == (1980, 1, 1, 0, 0, 0)
    assert zip_timestamp(datetime(2024, 5, 2, 13, 30, 7, tzinfo=UTC)) == (2024, 5, 2, 13, 30, 6)


def _page_text(members: dict[str, bytes], row: dict[str, object], page: int = 0) -> str:
    return PdfReader(io.BytesIO(members[str(row["PdfPath"])])).pages[page].extract_text()


def test_each_kind_of_item_becomes_the_right_pages(members: dict[str, bytes]) -> None:
    rows = {r["OriginalFilename"]: r for r in _rows(members)}
    sow = rows["statement-of-work.pdf"]  # a text PDF: its own two pages, stamped
    original = PdfReader(SAMPLES / "northwind" / "contracts" / "statement-of-work.pdf")
    assert sow["PageCount"] == 2
    assert original.pages[1].extract_text().split()[:8] == _page_text(members, sow, 1).split()[:8]
    docx = rows["weekly-status-2024-04-19.docx"]
    assert "Weekly status report" in _page_text(members, docx) and docx["NativePath"].endswith(".docx")
    note = rows["2024-03-12 scope change call.txt"]
    assert "from filename" in _page_text(members, note)  # the date says where it came from
    assert members[note["TextPath"]].decode().strip() == \
        (SAMPLES / "northwind" / "notes" / "2024-03-12 scope change call.txt").read_text().strip()


def test_pictures_and_events(archive: Archive, mallory: dict[str, bytes]) -> None:
    from app.bundle.render import DocContext, render_pdf

    rows = {r["OriginalFilename"]: r for r in _rows(mallory)}
    picture = rows["whiteboard.png"]  # OCR'd at ingest: its searchable PDF is the PDF
    assert "OVERDUE" in _page_text(mallory, picture) and picture["NativePath"].endswith(".png")
    with archive.read() as session:
        item = session.get(Item, picture["ItemId"])
    rendered = render_pdf(archive, DocContext(item=item), lambda page: f"PIC{page + 1:06d}")  # no searchable PDF
    page = PdfReader(io.BytesIO(rendered.data)).pages[0]
    assert rendered.method == "picture" and rendered.pages == 1
    assert len(page.images) == 1 and "PIC000001" in page.extract_text()
    event = next(r for r in _rows(mallory) if r["Title"] == "Called Greg, no answer")
    text = _page_text(mallory, event)
    assert "Call recorded by hand in Casefile" in text and "2024-06-03 10:15 +01:00 (from user" in text
    assert event["NativePath"] == "" and "Left a voicemail." in mallory[event["TextPath"]].decode()


def test_very_long_texts_are_cut_in_the_pdf_not_in_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.bundle import layout

    monkeypatch.setattr(layout, "MAX_RENDERED_PAGES", 2)
    page = layout.PageBuilder(lambda n: f"CUT{n + 1:06d}")
    page.paragraph("\n".join(f"line {n}" for n in range(500)))
    data, pages = page.finish()
    reader = PdfReader(io.BytesIO(data))
    assert pages == len(reader.pages) == 2
    last = reader.pages[1].extract_text()
    assert "[PDF shortened after 2 pages." in last and "CUT000002" in last


def test_rotated_and_damaged_pdfs(tmp_path: Path) -> None:
    from pypdf import PdfWriter
    from reportlab.pdfgen.canvas import Canvas

    from app.bundle.layout import Unrenderable, stamp_pdf

    portrait = io.BytesIO()
    canvas = Canvas(portrait, pagesize=(300, 500))
    canvas.drawString(20, 480, "TOP LEFT")
    canvas.showPage()
    canvas.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(portrait.getvalue())))
    writer.pages[0].rotate(90)  # shown as landscape
    rotated = io.BytesIO()
    writer.write(rotated)
    data, pages = stamp_pdf(io.BytesIO(rotated.getvalue()), lambda n: f"ROT{n + 1:06d}")
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert pages == 1 and page.rotation == 0 and float(page.mediabox.width) == 500
    stamp = [p for p in _stamp_positions(page) if p[0] == "ROT000001"]
    assert stamp and stamp[0][1] > 250 and stamp[0][2] < 60  # bottom right as the reader sees it
    with pytest.raises(Unrenderable, match="could not be read"):
        stamp_pdf(io.BytesIO(b"%PDF-1.7\n garbage"), lambda n: "X")


def test_stamped_copies_carry_no_scripts_or_auto_actions() -> None:
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    from app.bundle.layout import stamp_pdf

    writer = PdfWriter()
    writer.add_blank_page(300, 400)
    script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('opened');")})
    writer.add_attachment("payload.exe", b"MZ\x90\x00")
    names = writer.root_object["/Names"].get_object()  # a document-level script beside the file
    names[NameObject("/JavaScript")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("hello"), writer._add_object(script)])})
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.launchURL('x');")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): DictionaryObject({NameObject("/S"): NameObject("/Launch")})})
    original = io.BytesIO()
    writer.write(original)
    assert b"/JavaScript" in original.getvalue() and b"/EmbeddedFiles" in original.getvalue()
    data, pages = stamp_pdf(io.BytesIO(original.getvalue()), lambda n: f"JS{n + 1:06d}")
    stamped = PdfReader(io.BytesIO(data))
    assert pages == 1 and "JS000001" in stamped.pages[0].extract_text()
    root = stamped.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in stamped.pages[0]
    assert "/JavaScript" not in root.get("/Names", {}) and "/EmbeddedFiles" not in root.get("/Names", {})
    assert b"app.alert" not in data and b"payload.exe" not in data


def test_a_container_holding_another_clients_mail_is_produced_without_its_native(tmp_path: Path) -> None:
    archive = open_archive(Settings(data=tmp_path / "data", actor="tester"))
    ours = (b"From: greg@acme.example\nTo: dana@us.example\nSubject: Ours\nDate: Mon, 3 Jun 2024 10:00:00 +0100\n"
            b"Message-ID: <ours@acme.example>\n\nAcme mail.\n")
    theirs = (b"From: kim@other.example\nTo: dana@us.example\nSubject: Theirs\nDate: Tue, 4 Jun 2024 10:00:00 +0100\n"
              b"Message-ID: <theirs@other.example>\n\nConfidential to another client.\n")
    mbox = b"".join(b"From x@example Mon Jan  1 00:00:00 2024\n" + m + b"\n" for m in (ours, theirs))
    ingest_bytes(archive, data=mbox, filename="mixed.mbox", client="acme")
    with archive.read() as session:
        theirs_id = session.exec(select(Item.id).where(Item.title == "Theirs")).one()
    changes.assign_item(archive, item_id=theirs_id, client="other")  # it was not Acme's after all
    acme_zip = _export(archive, tmp_path / "acme", client="acme")
    acme = _members(acme_zip)
    rows = _rows(acme)
    container = next(r for r in rows if r["OriginalFilename"] == "mixed.mbox")
    assert container["NativePath"] == "" and [r["Title"] for r in rows if r["Kind"] == "email"] == ["Ours"]
    slip = " ".join(PdfReader(io.BytesIO(acme[container["PdfPath"]])).pages[0].extract_text().split())
    assert "withheld" in slip and "1 document(s) of other clients" in slip
    assert not any(b"Confidential to another client" in data for data in acme.values())
    assert verify_bundle(path=acme_zip).ok  # a document without a native is a complete bundle
    other = _rows(_members(_export(archive, tmp_path / "other", client="other")))
    assert [r["Title"] for r in other] == ["Theirs"] and other[0]["NativePath"]
    archive.close()
