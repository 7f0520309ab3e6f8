"""Term clauses read whole: the end of this agreement's term, stated or computed, and renewal."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.docdates import document_dates
from ingest.terms import add_duration

_PREAMBLE = 'This Agreement is made as of 1 February 2024 (the "Effective Date") between A Ltd and B Ltd.\n\n'


def _expiry(text: str) -> tuple[date | None, str]:
    found = document_dates([(1, text)])
    if found.expiry is None:
        return None, ""
    return found.expiry.mention.value, found.expiry.mention.reason


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("This Agreement is effective as of August 1, 2004, and shall terminate on July 31, 2009, unless "
         "earlier terminated.", date(2009, 7, 31)),
        ("The term of this Agreement shall commence on March 1, 2024 and end on 28 February 2026.",
         date(2026, 2, 28)),
        ("TERM: November 01, 2014 to October 31, 2017", date(2017, 10, 31)),
        ('The "Initial Term" shall commence upon the Effective Date and shall expire on March 31, 2011.',
         date(2011, 3, 31)),
        ('"Contract Period" shall mean that period of time commencing as of May 31, 1999 and concluding May 31, '
         "2000.", date(2000, 5, 31)),
        ("This term of this Agreement commences on the Effective Date and terminates on August 2nd, 2015.",
         date(2015, 8, 2)),
    ],
)
def test_a_stated_end_of_the_term_is_the_expiry(clause: str, expected: date) -> None:
    value, reason = _expiry(_PREAMBLE + clause)
    assert value == expected
    assert reason.startswith("term clause")


def test_a_labelled_expiration_date_is_the_expiry() -> None:
    found = document_dates([(1, "Effective Date: October 1, 2005\nExpiration Date: August 31, 2006\n" + _PREAMBLE)])
    assert found.expiry is not None and found.expiry.mention.value == date(2006, 8, 31)
    assert found.expiry.mention.reason == "labelled expiration date"


def test_a_duration_is_counted_from_the_effective_date_and_says_so() -> None:
    text = (_PREAMBLE + "12. TERM\n12.1 This Agreement shall commence on the Effective Date and continue for a "
            "period of five (5) years from the Effective Date.")
    found = document_dates([(7, text)])
    assert found.expiry is not None
    assert found.expiry.mention.value == date(2029, 2, 1)
    assert found.expiry.mention.label == "expiry"
    assert found.expiry.mention.reason == "computed: 5 years from 1 February 2024 (§ 12.1, p. 7)"


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("This Agreement shall commence on September 10, 2015 and shall continue for One (1) Year.",
         date(2016, 9, 10)),
        ("The term of this Agreement will commence upon the Effective Date and will continue until the fifth "
         "(5th) anniversary of the Effective Date.", date(2029, 2, 1)),
        ("Term: twelve (12) months from the date of this Agreement.", date(2025, 2, 1)),
    ],
)
def test_durations_and_anniversaries(clause: str, expected: date) -> None:
    value, reason = _expiry(_PREAMBLE + clause)
    assert value == expected and reason.startswith("computed: ")


@pytest.mark.parametrize(
    "clause",
    [
        # survival, confidentiality tails and other periods are not the term
        "During the term hereof and for a period of five (5) years thereafter, neither Party shall solicit.",
        "This Section shall survive any termination of this Agreement for a period of three (3) years.",
        # counted from something else: not ours to guess
        "This Agreement shall continue in force for three years from the Launch Date.",
        # a renewal option is not the term
        "The Company may renew this Agreement for one additional period that shall end on December 31, 2009.",
        # a quarter's end inside a clause about the term
        "The first Calendar Quarter of the Term shall commence on the Effective Date and end on June 30, 2024.",
    ],
)
def test_other_periods_are_not_the_contracts_expiry(clause: str) -> None:
    assert _expiry(_PREAMBLE + clause) == (None, "")


def test_renewal_and_notice_periods_are_read() -> None:
    text = (_PREAMBLE + "This Agreement shall continue for a period of two (2) years and shall automatically "
            "renew for successive periods of one (1) year unless either party gives at least ninety (90) days "
            "written notice of non-renewal before the end of the then-current term.")
    found = document_dates([(1, text)])
    assert found.term.renewal.startswith("renews for 1 year")
    assert found.term.notice.startswith("90 days' notice")


def test_add_duration_keeps_month_ends() -> None:
    assert add_duration(date(2024, 1, 31), 1, "month") == date(2024, 2, 29)
    assert add_duration(date(2024, 2, 29), 1, "year") == date(2025, 2, 28)
    assert add_duration(date(2024, 4, 30), 30, "days") == date(2024, 5, 30)
