"""Dates a document mentions: what each is for (label), its sentence, its page."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.dates import find_dates
from ingest.mentions import LABELS, date_mentions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This Agreement is made on 15 January 2024 between A and B.", ("2024-01-15", "signed")),
        ("Signed: Dana Whitfield, 15/01/2024", ("2024-01-15", "signed")),
        ("Dated this 3rd day of May, 2023.", ("2023-05-03", "signed")),
        ("Effective Date: 1 February 2024", ("2024-02-01", "effective")),
        ("The term shall commence on March 1, 2024 and run for a year.", ("2024-03-01", "effective")),
        ("with effect from 2024-07-01 the rate changes.", ("2024-07-01", "effective")),
        ("Starting on July 1, 2020 (the “Effective Date”) Consultant shall ...", ("2020-07-01", "effective")),
        ("The Consultant shall deliver the module on or before 30 April 2024.", ("2024-04-30", "deadline")),
        ("Comments must be received no later than 12 June 2024.", ("2024-06-12", "deadline")),
        ("The supplier will deliver the goods to the warehouse by 15 March 2024.", ("2024-03-15", "deadline")),
        ("Deadline for objections: 2024-05-31", ("2024-05-31", "deadline")),
        ("The agreement continues until December 31, 2020, unless terminated.", ("2020-12-31", "deadline")),
        ("Invoice total £4,500, due 30/04/2024.", ("2024-04-30", "due")),
        ("The balance is payable on 1 June 2024.", ("2024-06-01", "due")),
        ("We met at the office on 4 March 2024 to discuss it.", ("2024-03-04", "date")),
        ("Filed: 06-March-2020 12:10 PM", ("2020-03-06", "date")),
        ("Date of Judgment: 04-March-2020", ("2020-03-04", "signed")),
    ],
)
def test_labels(text: str, expected: tuple[str, str]) -> None:
    (mention,) = date_mentions([(1, text)])
    assert (mention.value.isoformat(), mention.label) == expected
    assert mention.label in LABELS
    assert mention.page == 1


def test_nearest_cue_wins_between_two_dates() -> None:
    text = "This Agreement, dated June 1, 2020, is effective July 1, 2020 for all services."
    signed, effective = date_mentions([(1, text)])
    assert (signed.value, signed.label) == (date(2020, 6, 1), "signed")
    assert (effective.value, effective.label) == (date(2020, 7, 1), "effective")


def test_sentence_and_raw_text() -> None:
    text = (
        "Background. The parties met twice.\n\n"
        "Payment is due on 15 March 2024 for the first\nmilestone. Nothing else is owed."
    )
    (mention,) = date_mentions([(2, text)])
    assert mention.raw == "15 March 2024"
    assert mention.sentence == "Payment is due on 15 March 2024 for the first milestone."
    assert mention.page == 2


def test_abbreviated_month_does_not_end_the_sentence() -> None:
    (mention,) = date_mentions([(1, "Amendment #3 is effective Dec. 21, 2017 for both parties.")])
    assert mention.value == date(2017, 12, 21)
    assert mention.label == "effective"
    assert mention.sentence.startswith("Amendment #3 is effective Dec. 21, 2017")


def test_us_documents_read_ambiguous_numeric_dates_month_first() -> None:
    pages = [
        (1, "This amendment is effective December 9, 1996."),
        (2, "Date: 12/5/96    Date: 12/12/96    Filed 7/21/1999"),
    ]
    values = [m.value for m in date_mentions(pages)]
    assert values == [date(1996, 12, 9), date(1996, 12, 5), date(1996, 12, 12), date(1999, 7, 21)]


def test_elsewhere_ambiguous_numeric_dates_are_day_first() -> None:
    (mention, _) = date_mentions([(1, "Signed 03/04/2024. Meeting on 25/04/2024.")])
    assert mention.value == date(2024, 4, 3)


def test_pages_without_numbers_are_allowed() -> None:
    (mention,) = date_mentions([(None, "Call on 2024-02-02 about the invoice.")])
    assert mention.page is None and mention.value == date(2024, 2, 2)


def test_no_dates() -> None:
    assert date_mentions([(1, "Nothing dated here."), (2, "")]) == ()


@pytest.mark.parametrize(
    "text",
    ["See Section 10.2.13 of the Agreement.", "as set out in Section 4.1.10 below", "under § 12.1.20",
     "clause 3.4.18 applies", "items 1.2.3.4 and 5.6.7", "version 2.10.11 of the software"],
)
def test_section_numbers_are_not_dates(text: str) -> None:
    assert find_dates(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("signed April 15 , 2010 by both", date(2010, 4, 15)),
        ("made this 1st of March, 2003", date(2003, 3, 1)),
        ("on the (1st) day of January, 2019", date(2019, 1, 1)),
        ("dated the 1 5 th day of June, 2012", date(2012, 6, 15)),
        ("as of the 17t h day of May 2016", date(2016, 5, 17)),
        ("June 1s t 2020", date(2020, 6, 1)),
        ("on 15.03.2024", date(2024, 3, 15)),
        ("on 3-14-18", date(2018, 3, 14)),
    ],
)
def test_dates_as_contracts_and_ocr_write_them(text: str, expected: date) -> None:
    assert [found.value for found in find_dates(text)] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        # a forecast is not an obligation
        "TAG and LMG expect that the Conversion Date will occur on or before October 31, 2009.",
        "when the registration statement is effective (anticipated to be no later than November 30, 1999)",
        # a schedule's status column: "Expired" belongs to the row, not to the next row's date
        "US 14/831,020 8/20/2015 Published\nElements PCT PCT/US2015/055403 10/13/2015 WO 2016/058007 N/A Expired\n"
        "Processing for the\nExtraction of Rare Earth   US 15/517,884 10/13/2015 -- -- Pending",
        # a notary's commission, after the date of the notarial act
        "Given under my hand and seal this 7th day of February, 2007 My Commission Expires: /s/ T. Bowerman",
    ],
)
def test_no_deadline_where_nothing_is_due(text: str) -> None:
    assert "deadline" not in {m.label for m in date_mentions([(1, text)])}


def test_a_cue_right_after_the_date_still_counts() -> None:
    mentions = date_mentions([(1, "Remember the 30 June 2024 deadline for the filing.")])
    assert [m.label for m in mentions] == ["deadline"]
