"""Whose date is it: a document's own date, effective date and expiry, each with its reason."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.docdates import date_facts, document_dates, occurred_from


def _own(text: str) -> tuple[date | None, date | None]:
    found = document_dates([(1, text)])
    return (found.dated.mention.value if found.dated else None,
            found.effective.mention.value if found.effective else None)


@pytest.mark.parametrize(
    ("text", "dated", "effective"),
    [
        ('THIS CONSULTING AGREEMENT (this "Agreement") is made and entered into as of March 14, 2011 by and '
         "between A and B.", date(2011, 3, 14), None),  # "as of" dates it; it does not say effective
        ("This Agreement is entered into as of the 14th day of March, 2011, between X and Y.",
         date(2011, 3, 14), None),
        ("This Promotion Agreement is entered into effective September 10, 2015 between A and B.",
         date(2015, 9, 10), date(2015, 9, 10)),
        # the definition wins the effective role over the preceding "dated"
        ('This Agreement dated January 5, 2020 is effective as of February 1, 2020 (the "Effective Date") '
         "between A and B.", date(2020, 1, 5), date(2020, 2, 1)),
        ('SPONSORSHIP AGREEMENT dated as of May 1, 2002 (this "Agreement") between X and Y.',
         date(2002, 5, 1), None),
        ("THE EFFECTIVE DATE OF THIS RESELLER AGREEMENT SHALL BE: Sept 29, 2004", date(2004, 9, 29),
         date(2004, 9, 29)),
    ],
)
def test_the_preamble_and_the_effective_date_definition_are_the_documents_own(
    text: str, dated: date, effective: date | None
) -> None:
    assert _own(text) == (dated, effective)


def test_the_preamble_is_found_past_a_cover_page() -> None:
    pages = [(1, "MASTER SERVICES AGREEMENT\n\nbetween\nA Ltd\nand\nB Inc"),
             (2, "This Agreement is made on 2 September 2019 between A Ltd and B Inc.")]
    found = document_dates(pages)
    assert found.dated is not None and found.dated.mention.value == date(2019, 9, 2)
    assert found.dated.rule == "preamble" and found.dated.mention.page == 2


@pytest.mark.parametrize(
    "text",
    [
        "WHEREAS, the parties entered into the License Agreement, dated June 1, 2015; and",
        "Reference is made to the Supply Agreement which was effective January 1, 2019. The parties agree.",
        "Pursuant to that certain Credit Agreement, dated as of March 3, 2017, among the lenders, the Borrower "
        "shall pay.",
    ],
)
def test_another_documents_date_is_a_mention_never_the_documents_date(text: str) -> None:
    found = document_dates([(1, text)])
    assert found.dated is None and found.effective is None
    assert [m.reason for m in found.mentions] == ["another document's date"]
    assert all(m.label == "date" for m in found.mentions)


def test_effective_as_of_the_date_last_signed_is_the_latest_signature() -> None:
    text = ("This Agreement shall be effective as of the date last signed below.\n\nIN WITNESS WHEREOF the "
            "parties sign.\nBy: /s/ A\nName: A\nTitle: CEO\nDate: March 3, 2020\nBy: /s/ B\nName: B\n"
            "Title: CFO\nDate: March 9, 2020")
    found = document_dates([(1, text)])
    assert found.dated is not None and found.dated.mention.value == date(2020, 3, 9)
    assert found.effective is not None and found.effective.mention.value == date(2020, 3, 9)
    assert found.effective.mention.reason == "effective as of the date last signed"
    assert {m.reason for m in found.mentions if m.value == date(2020, 3, 3)} == {"signature block"}


def test_a_running_footer_date_is_kept_out_of_every_role() -> None:
    footer = "Source: ACME CORP, 10-K, 12/2/2019"
    pages = [(n, f"Clause {n} text without dates.\nMore words here.\n{footer}") for n in range(1, 4)]
    pages[0] = (1, f"12/2/2019\nClause 1 text.\n{footer}")
    found = document_dates(pages)
    footers = [m for m in found.mentions if m.reason == "page header/footer"]
    assert len(footers) == 3 and all(m.label == "date" for m in footers)
    # the stamp's shape marks it running even on a one-page document
    single = document_dates([(1, f"This Agreement is made on 4 May 2018 between A and B.\n{footer}")])
    assert single.dated is not None and single.dated.mention.value == date(2018, 5, 4)
    assert [m.reason for m in single.mentions][-1] == "page header/footer"


def test_a_labelled_date_line_dates_a_judgment_not_its_filing_stamp() -> None:
    text = "Case No.: HC/S 865/2018\nFiled: 06-March-2020 12:10 PM\nJUDGMENT\nDate of Judgment: 04-March-2020\n"
    found = document_dates([(1, text)])
    assert found.dated is not None and found.dated.mention.value == date(2020, 3, 4)
    assert found.dated.rule == "labelled date"


def test_the_chosen_date_says_its_rule_page_and_confidence() -> None:
    found = document_dates([(3, "This Agreement is made on 15 January 2024 between A and B.")])
    occurred = occurred_from(found, "Europe/London")
    assert occurred is not None and occurred.at.date() == date(2024, 1, 15)
    assert occurred.detail == "preamble: '15 January 2024', p. 3"
    reason = date_facts(found)["date_reason"]
    assert isinstance(reason, dict)
    assert reason["rule"] == "preamble" and reason["page"] == 3 and 0 < reason["confidence"] <= 1
    assert "made on 15 January 2024" in reason["sentence"]


def test_month_order_is_decided_per_document_and_stated_when_assumed() -> None:
    us = document_dates([(1, "This Agreement is made as of 03/04/2024. Payment by 12/31/2024.")])
    assert us.month_first and us.dated is not None and us.dated.mention.value == date(2024, 3, 4)
    assert "month first" in us.dated.mention.reason
    uk = document_dates([(1, "This Agreement is made as of 03/04/2024. Payment by 31/12/2024.")])
    assert not uk.month_first and uk.dated is not None and uk.dated.mention.value == date(2024, 4, 3)
    assert "day first" in uk.dated.mention.reason


def test_a_us_document_reads_ambiguous_dates_month_first_and_says_it_assumed() -> None:
    text = ("This Agreement is made as of 03/04/2024 between Acme Inc., a Delaware corporation, and Beta LLC. "
            "It is governed by the laws of the State of New York.")
    found = document_dates([(1, text)])
    assert found.dated is not None and found.dated.mention.value == date(2024, 3, 4)
    assert found.order_note == "numeric dates read month first (assumed): it is a US document"


def test_the_senders_locale_decides_when_the_document_does_not() -> None:
    text = "This Agreement is made as of 03/04/2024 between A and B."
    uk = document_dates([(1, text)], order_hint=(False, "the sender's address is in .uk"))
    us = document_dates([(1, text)], order_hint=(True, "the sender's address is in .us"))
    assert uk.dated is not None and uk.dated.mention.value == date(2024, 4, 3)
    assert us.dated is not None and us.dated.mention.value == date(2024, 3, 4)
    assert "the sender's address is in .us" in us.dated.mention.reason
    # the document's own unambiguous dates beat the sender's locale
    settled = document_dates([(1, text + " Payment by 31/12/2024.")], order_hint=(True, "the sender is in .us"))
    assert settled.dated is not None and settled.dated.mention.value == date(2024, 4, 3)


def test_a_letter_is_dated_by_its_date_line_not_the_dates_it_speaks_of() -> None:
    text = ("12 March 2024\nDear Greg,\nFurther to our call, the module was delivered on 26 April 2024 as agreed.\n"
            "Yours sincerely,\nBy: Dana Whitfield\nTitle: Director\nDate: 15 March 2024")
    found = document_dates([(1, text)])
    assert found.dated is not None and found.dated.mention.value == date(2024, 3, 12)
    assert found.dated.rule == "letter date"


def test_a_cover_titles_date_and_a_preamble_past_the_index_are_the_documents_own() -> None:
    cover = "MANUFACTURING AND SUPPLY AGREEMENT\nDATED AS OF January 1, 2013\nBETWEEN A, INC. AND B, S.p.A."
    index = "TABLE OF CONTENTS\n1. Definitions 1\n2. Supply 4"
    preamble = 'This Manufacturing and Supply Agreement (this "Agreement") is dated January 1st, 2013, between A and B.'
    only_cover = document_dates([(1, cover), (2, index)])
    assert only_cover.dated is not None and only_cover.dated.rule == "title page"
    found = document_dates([(1, cover), (2, index), (3, index), (4, index), (5, preamble)])
    assert found.dated is not None and (found.dated.rule, found.dated.mention.page) == ("preamble", 5)


def test_signature_blocks_side_by_side_each_count_and_the_latest_dates_it() -> None:
    text = ("IN WITNESS WHEREOF, the parties sign.\nBy: /s/ Markus Frick By: /s/ Steven Raack\n"
            "Name: Markus Frick Name: Steven Raack\nTitle: Director Title: CEO\nDate: 3-14-18 Date: 3-7-18\n"
            "The Effective Date of this Agreement shall be the later of the dates shown by the signatures below.")
    found = document_dates([(1, text)])
    assert {m.value for m in found.mentions if m.reason.startswith("signature block")} == {
        date(2018, 3, 14), date(2018, 3, 7)}
    assert found.dated is not None and found.dated.mention.value == date(2018, 3, 14)
    assert found.effective is not None and found.effective.mention.value == date(2018, 3, 14)


def test_in_effect_once_signed_with_only_the_preambles_date_of_signing() -> None:
    text = ("This Cooperation Agreement is entered into on January 24, 2014 in Beijing by A and B.\n\n"
            "This Agreement shall take effect as of the date when the authorized representatives of the Parties "
            "sign hereon.")
    found = document_dates([(1, text)])
    assert found.effective is not None and found.effective.mention.value == date(2014, 1, 24)
    assert found.effective.mention.reason == "in effect when signed: the preamble's date of signing"


def test_a_notarys_commission_expiry_is_no_deadline() -> None:
    found = document_dates([(9, "Notary Public, Cobb County, GA\nMy Commission expires Aug. 10, 2010")])
    assert [m.label for m in found.mentions] == ["date"]


def test_that_certain_agreement_is_another_document_even_when_defined_here() -> None:
    text = ("A. The Partnership and Manager entered into that certain Management and Maintenance Agreement, "
            'dated as of September 1, 1989 (the "Agreement").')
    found = document_dates([(1, text)])
    assert found.dated is None and found.effective is None
    assert [(m.label, m.reason) for m in found.mentions] == [("date", "another document's date")]


def test_a_renewal_periods_start_is_not_the_effective_date() -> None:
    text = ("8.1 The Company may renew this Agreement on the same terms and conditions for one (1) additional "
            "five year period that shall begin on January 1, 2005 and end on December 31, 2009.")
    found = document_dates([(4, text)])
    assert found.effective is None
    assert "effective" not in {m.label for m in found.mentions}
