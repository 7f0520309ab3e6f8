from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import select

from app import changes, items
from app.archive import Archive
from app.ingesting import ingest_bytes, ingest_paths
from app.models import ClientAddress, Item, LedgerEntry
from tests.conftest import SAMPLES


def _mail(
    sender: str, to: str, subject: str, body: str = "hello", date: str = "Mon, 13 May 2024 10:00:00 +0100"
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Date"] = sender, to, subject, date
    msg["Message-ID"] = f"<{abs(hash((sender, subject)))}@test.example>"
    msg.set_content(body)
    return bytes(msg)


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_sample_folder_ingests_with_children_and_custody(archive: Archive) -> None:
    changes.init_archive(archive, me=["dana@whitfield-digital.example", "whitfield-digital.example"])
    report = ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail"], client="northwind")
    assert report.ok and report.files == 4
    listing = items.list_items(archive, client="northwind", kind="email", limit=1000)
    assert listing.total >= 28
    with archive.read() as session:
        mbox = session.exec(select(Item).where(Item.content_type == "application/mbox")).one()
        members = session.exec(select(Item).where(Item.parent_id == mbox.id)).all()
        assert len(members) >= 25 and all(m.sha256 for m in members)
        ingest_entries = session.exec(select(LedgerEntry).where(LedgerEntry.action == "ingest")).all()
        assert len(ingest_entries) == session.exec(select(Item)).all().__len__()
        learned = {a.value for a in session.exec(select(ClientAddress)).all()}
    assert "northwind-retail.example" in learned
    assert "whitfield-digital.example" not in learned  # never the owner's own
    invoice = next(i for i in listing.items if "INV-2024-007" in i.title)
    detail = items.get_item(archive, item_id=invoice.id)
    assert any(c.original_filename == "INV-2024-007.pdf" for c in detail.children)


def test_same_bytes_twice_are_stored_once_with_two_custody_entries(archive: Archive, tmp_path: Path) -> None:
    data = _mail("greg@northwind-retail.example", "dana@whitfield-digital.example", "Hi")
    a = _write(tmp_path / "in", "a.eml", data)
    b = _write(tmp_path / "in2", "copy-of-a.eml", data)
    first = ingest_paths(archive, paths=[a], client="northwind")
    second = ingest_paths(archive, paths=[b], client="northwind")
    assert (first.stored, second.stored, second.duplicates) == (1, 0, 1)
    assert first.item_ids == second.item_ids
    assert len(list(archive.blobs.all_hashes())) == 1
    detail = items.get_item(archive, item_id=first.item_ids[0])
    assert [e.action for e in detail.ledger] == ["ingest", "received-again"]
    assert detail.ledger[1].details["filename"] == "copy-of-a.eml"


def _mbox(*messages: bytes) -> bytes:
    return b"".join(b"From x@example Mon Jan  1 00:00:00 2024\n" + m + b"\n" for m in messages)


def test_a_message_in_two_mailboxes_is_one_item_received_again(archive: Archive, tmp_path: Path) -> None:
    shared = _mail("greg@northwind-retail.example", "dana@whitfield-digital.example", "Shared")
    only_first = _mail("greg@northwind-retail.example", "dana@whitfield-digital.example", "First")
    only_second = _mail("greg@northwind-retail.example", "dana@whitfield-digital.example", "Second")
    first = ingest_paths(archive, paths=[_write(tmp_path, "a.mbox", _mbox(shared, only_first, shared))],
                         client="northwind")
    # a later run, another mailbox: the message is already stored (its blob was on disk)
    second = ingest_paths(archive, paths=[_write(tmp_path, "b.mbox", _mbox(only_second, shared))],
                          client="northwind")
    assert (first.stored, first.duplicates) == (3, 1)  # the mailbox, two messages; the repeat within it
    assert (second.stored, second.duplicates) == (2, 1)
    with archive.read() as session:
        emails = session.exec(select(Item).where(Item.kind == "email")).all()
        assert sorted(e.title for e in emails) == ["First", "Second", "Shared"]
        shared_id = next(e.id for e in emails if e.title == "Shared")
        again = session.exec(select(LedgerEntry).where(LedgerEntry.action == "received-again")).all()
    assert [e.item_id for e in again] == [shared_id, shared_id]


def test_a_third_party_copied_in_is_not_learned_as_the_clients(archive: Archive) -> None:
    changes.init_archive(archive, me=["whitfield-digital.example"])
    msg = EmailMessage()
    msg["From"], msg["To"] = "greg@northwind-retail.example", "dana@whitfield-digital.example"
    msg["Cc"], msg["Subject"] = "Pat <pat@ledger-accountants.example>", "Invoice query"
    msg["Date"] = "Mon, 13 May 2024 10:00:00 +0100"
    msg.set_content("Copying our accountant.")
    ingest_bytes(archive, data=bytes(msg), filename="cc.eml", client="northwind")
    with archive.read() as session:
        learned = {a.value for a in session.exec(select(ClientAddress)).all()}
    assert learned == {"northwind-retail.example"}
    about_bluebird = ingest_bytes(
        archive, filename="pat.eml",
        data=_mail("pat@ledger-accountants.example", "dana@whitfield-digital.example", "Bluebird VAT"),
    )
    assert items.get_item(archive, item_id=about_bluebird.item_ids[0]).client == "unassigned"


def test_mail_is_routed_by_learned_domain_and_public_providers_by_address(archive: Archive) -> None:
    changes.init_archive(archive, me=["whitfield-digital.example"])
    ingest_bytes(
        archive,
        client="northwind",
        filename="1.eml",
        data=_mail(
            "Greg <greg@northwind-retail.example>",
            "dana@whitfield-digital.example, Bob <bob.private@gmail.com>",
            "kick-off",
        ),
    )
    ingest_bytes(
        archive,
        client="bluebird",
        filename="2.eml",
        data=_mail("maria@bluebird-bakery.example", "dana@whitfield-digital.example", "menu"),
    )
    to_northwind = ingest_bytes(
        archive,
        filename="3.eml",
        data=_mail("ap@northwind-retail.example", "dana@whitfield-digital.example", "remittance"),
    )
    via_gmail = ingest_bytes(
        archive,
        filename="4.eml",
        data=_mail("bob.private@gmail.com", "dana@whitfield-digital.example", "lunch?"),
    )
    other_gmail = ingest_bytes(
        archive,
        filename="5.eml",
        data=_mail("someone.else@gmail.com", "dana@whitfield-digital.example", "spam"),
    )
    ours_only = ingest_bytes(
        archive,
        filename="6.eml",
        data=_mail("dana@whitfield-digital.example", "x@unknown.example", "hello"),
    )

    def client_of(report) -> str:  # type: ignore[no-untyped-def]
        return items.get_item(archive, item_id=report.item_ids[0]).client

    assert client_of(to_northwind) == "northwind"
    assert client_of(via_gmail) == "northwind"
    assert client_of(other_gmail) == "unassigned"
    assert client_of(ours_only) == "unassigned"
    with archive.read() as session:
        values = {a.value: a.kind for a in session.exec(select(ClientAddress)).all()}
    assert values["bob.private@gmail.com"] == "address" and "gmail.com" not in values
    assert "whitfield-digital.example" not in values


def test_unreadable_files_are_stored_failed_and_the_batch_goes_on(archive: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    _write(folder, "empty.eml", b"")
    _write(folder, "junk.bin", bytes(range(256)) * 10)
    _write(folder, "good.eml", _mail("a@x.example", "b@y.example", "fine"))
    report = ingest_paths(archive, paths=[folder, tmp_path / "missing.eml"])
    assert report.files == 3 and report.stored == 3 and report.failed == 2
    assert not report.ok and report.not_stored == [f"{tmp_path / 'missing.eml'}: no such file or folder"]
    listing = items.list_items(archive)
    failed = {i.original_filename: i for i in listing.items if i.status == "failed"}
    assert failed["empty.eml"].error == "corrupt: empty file (0 bytes)"
    assert failed["empty.eml"].sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert failed["junk.bin"].error is not None and failed["junk.bin"].error.startswith("unsupported:")
    assert all(archive.blobs.exists(i.sha256) for i in failed.values() if i.sha256)


def test_assign_moves_the_family_and_records_it(archive: Archive) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "x@stranger.example", "dana@whitfield-digital.example", "files"
    msg.set_content("see attached")
    msg.add_attachment(b"attached bytes", maintype="application", subtype="octet-stream", filename="a.bin")
    report = ingest_bytes(archive, filename="m.eml", data=bytes(msg))
    email_id = report.item_ids[0]
    moved = changes.assign_item(archive, item_id=email_id, client="northwind")
    assert len(moved) == 2
    detail = items.get_item(archive, item_id=email_id)
    assert detail.client == "northwind" and detail.children[0].client == "northwind"
    assert detail.ledger[-1].action == "assign"
    details = dict(detail.ledger[-1].details)
    assert sorted(details.pop("states")) == sorted(str(i) for i in moved)  # each moved item's new state
    assert details == {"from": "unassigned", "to": "northwind", "items": moved}


def test_manual_event_is_a_user_dated_item(archive: Archive) -> None:
    item_id = changes.add_event(
        archive, client="northwind", when="2024-06-03 10:15", title="Called Greg", kind="call", text="no answer"
    )
    detail = items.get_item(archive, item_id=item_id)
    assert detail.kind == "call" and detail.date_source == "user" and detail.date_precision == "minute"
    assert detail.occurred_at is not None and detail.occurred_at.isoformat() == "2024-06-03T10:15:00+01:00"
    assert detail.sha256 is None and detail.ledger[0].action == "add-event"


def test_call_log_rows_cite_the_csv_and_row(archive: Archive) -> None:
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "calls"], client="northwind")
    calls = items.list_items(archive, client="northwind", kind="call").items
    assert len(calls) >= 8
    assert all(c.parent_id is not None and c.source_row and c.source_row >= 2 for c in calls)
    parent = items.get_item(archive, item_id=calls[0].parent_id or 0)
    assert parent.original_filename == "call-log-2024.csv" and parent.sha256


def test_item_facts_and_dates_survive_the_database(archive: Archive) -> None:
    report = ingest_bytes(
        archive,
        filename="d.eml",
        data=_mail("a@x.example", "b@y.example", "tz", date="Thu, 02 May 2024 09:15:00 -0400"),
    )
    detail = items.get_item(archive, item_id=report.item_ids[0])
    assert detail.occurred_at is not None and detail.occurred_at.isoformat() == "2024-05-02T09:15:00-04:00"
    assert detail.date_source == "email_header" and detail.date_detail == "Date header"
    assert json.loads(detail.model_dump_json())["occurred_at"] == "2024-05-02T09:15:00-04:00"
