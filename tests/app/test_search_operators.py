"""Every search operator, spelled each way a person types it, on a small real archive.

``-word`` must exclude exactly as ``NOT word`` does (it used to be read as the bare word,
so ``invoice -overdue`` returned the overdue mails), and ``+word`` must require.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import changes
from app.archive import Archive, open_archive
from app.config import Settings
from app.errors import InvalidInput
from app.ingesting import ingest_paths
from app.search import check_query, search

# subject, sender, date, body: small enough that every expected result set is known
MAILS = {
    "overdue-101.eml": (
        "Invoice 101 is overdue",
        "greg@northwind.example",
        "Mon, 06 May 2024 09:00:00 +0100",
        "Your invoice is overdue. Payment is due no later than Friday.",
    ),
    "paid-102.eml": (
        "Invoice 102 received",
        "greg@northwind.example",
        "Tue, 14 May 2024 09:00:00 +0100",
        "Thanks for the invoice, sent by e-mail; we will pay on time.",
    ),
    "reminder-103.eml": (
        "Invoice 103 reminder",
        "anna@northwind.example",
        "Mon, 03 Jun 2024 09:00:00 +0100",
        "This invoice is now overdue.",
    ),
    "delivery.eml": (
        "Design files",
        "anna@northwind.example",
        "Wed, 12 Jun 2024 09:00:00 +0100",
        "The design files were delivered today.",
    ),
    "schedule.eml": (
        "Meeting notes",
        "greg@northwind.example",
        "Mon, 01 Jul 2024 09:00:00 +0100",
        "We discussed the schedule: the launch is later than agreed.",
    ),
}
OVERDUE, PAID, REMINDER, DELIVERY, SCHEDULE = (m[0] for m in MAILS.values())
INVOICES = {OVERDUE, PAID, REMINDER}


def _eml(subject: str, sender: str, date: str, body: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: dana@whitfield-digital.example\r\nSubject: {subject}\r\nDate: {date}\r\n"
        f"Message-ID: <{abs(hash(subject))}@northwind.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@pytest.fixture(scope="module")
def mails(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    root = tmp_path_factory.mktemp("operators")
    folder: Path = root / "mail"
    folder.mkdir()
    for name, fields in MAILS.items():
        (folder / name).write_bytes(_eml(*fields))
    archive = open_archive(Settings(data=root / "data", actor="tester", timezone="Europe/London"))
    changes.init_archive(archive, me=["whitfield-digital.example"])
    assert ingest_paths(archive, paths=[folder], client="northwind").ok
    yield archive
    archive.close()


def found(archive: Archive, query: str) -> set[str]:
    result = search(archive, query=query, client="northwind", limit=50)
    assert result.total == len(result.hits)
    return {hit.title for hit in result.hits}


def same(archive: Archive, *spellings: str) -> set[str]:
    """The one result every spelling gives (asserting they agree)."""
    results = {query: found(archive, query) for query in spellings}
    first = results[spellings[0]]
    assert all(r == first for r in results.values()), results
    return first


def test_words_and_together_spelled_three_ways(mails: Archive) -> None:
    assert same(mails, "invoice overdue", "invoice AND overdue", "+invoice +overdue") == {OVERDUE, REMINDER}


def test_plus_requires_a_word(mails: Archive) -> None:
    assert same(mails, "+overdue invoice", "overdue invoice") == {OVERDUE, REMINDER}
    assert same(mails, "+delivered", "delivered") == {DELIVERY}


def test_or_is_a_union(mails: Archive) -> None:
    assert same(mails, "overdue OR delivered", "(overdue OR delivered)") == {OVERDUE, REMINDER, DELIVERY}


def test_minus_excludes_as_not_does(mails: Archive) -> None:
    assert same(mails, "invoice -overdue", "invoice NOT overdue", "invoice AND NOT overdue") == {PAID}
    # a whole excluded group, and an exclusion inside a group
    assert same(mails, "invoice -(overdue OR thanks)", "invoice NOT (overdue OR thanks)") == set()
    assert same(mails, "invoice (greg -overdue)", "invoice (greg NOT overdue)") == {PAID}


def test_a_query_of_only_an_exclusion_lists_everything_else(mails: Archive) -> None:
    assert same(mails, "-invoice", "NOT invoice") == {DELIVERY, SCHEDULE}


def test_stacked_negations_cancel_out(mails: Archive) -> None:
    assert same(mails, "invoice NOT -overdue", "invoice NOT NOT overdue", "invoice overdue") == {OVERDUE, REMINDER}


def test_phrases_and_excluded_phrases(mails: Archive) -> None:
    assert same(mails, '"no later than"', '+"no later than"') == {OVERDUE}
    # the bare words also match "later than agreed"; the phrase only "no later than"
    assert found(mails, "later than") == {OVERDUE, SCHEDULE}
    assert same(mails, 'later -"no later than"', 'later NOT "no later than"') == {SCHEDULE}


def test_prefixes_and_excluded_prefixes(mails: Archive) -> None:
    assert same(mails, "remind*", "reminder") == {REMINDER}
    assert same(mails, "invoice -remind*", "invoice NOT remind*") == {OVERDUE, PAID}


def test_field_values_and_excluded_fields(mails: Archive) -> None:
    assert same(mails, "from:greg", "sender:greg") == {OVERDUE, PAID, SCHEDULE}
    assert same(mails, "invoice -from:greg", "invoice NOT from:greg") == {REMINDER}
    assert same(mails, "-from:anna -from:greg", "NOT from:anna NOT from:greg") == set()


def test_date_ranges_with_dashes_and_excluded_dates(mails: Archive) -> None:
    # dashed dates in a range used to be read as their year alone: all of 2024
    may = same(mails, "invoice date:[2024-05-01 to 2024-05-31]", "invoice date:[20240501 to 20240531]")
    assert may == {OVERDUE, PAID}
    assert same(mails, "invoice -date:[2024-05-01 to 2024-05-31]", "invoice NOT date:[20240501 to 20240531]") == {
        REMINDER
    }
    assert same(mails, "date:2024-06-03", "date:20240603") == {REMINDER}


def test_a_hyphen_inside_a_word_is_not_an_exclusion(mails: Archive) -> None:
    assert found(mails, "e-mail") == {PAID}
    assert found(mails, "invoice - overdue") == {OVERDUE, REMINDER}  # a lone dash is no operator


def test_signed_terms_are_checked_like_bare_ones() -> None:
    assert check_query('invoice -"no later than"') == 'invoice -"no later than"'
    with pytest.raises(InvalidInput, match="'\\*' alone"):
        check_query("invoice -*")
    with pytest.raises(InvalidInput, match="wildcards need at least"):
        check_query("invoice +o*")
    many = " ".join(f'-"w{i} x"' for i in range(40))
    assert check_query(many) == many  # an excluded phrase counts as one term, as a bare phrase does
    with pytest.raises(InvalidInput, match="41 terms"):
        check_query(many + ' -"one more"')
