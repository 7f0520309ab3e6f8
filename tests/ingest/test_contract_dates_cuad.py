"""The contract dates against experts' answers on the CUAD development set (80 contracts).

Floors and ceilings, not exact counts: they hold the figures bench/dates.py measured
(bench/README.md) so that a change that makes dates worse fails here. The figures are
printed (``pytest -s``) as the issue asks.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pypdfium2 as pdfium

from ingest.docdates import document_dates
from ingest.pdfpages import page_texts, tidy
from tests.conftest import corpus_dir


def _score(truth: str | None, got: date | None, tally: Counter[str]) -> None:
    if truth is None:
        tally["asserted where absent"] += got is not None
    elif got is None:
        tally["missing"] += 1
    else:
        tally["right" if got.isoformat() == truth else "wrong"] += 1


def _iso(answer: dict[str, str]) -> str | None:
    return answer["iso"] if answer["kind"] in ("stated", "derived") else None


def test_document_effective_and_expiry_dates_match_the_experts() -> None:
    folder = corpus_dir("cuad-dev")
    truth = json.loads((folder / "truth.json").read_text())
    tallies: dict[str, Counter[str]] = {role: Counter() for role in ("document", "effective", "expiry")}
    for name, answers in truth.items():
        doc = pdfium.PdfDocument(str(folder / "files" / name))
        try:
            pages = [(n, tidy(text)) for n, text in enumerate(page_texts(doc), start=1)]
        finally:
            doc.close()
        found = document_dates(pages)
        _score(answers["document_date_iso"], found.dated.mention.value if found.dated else None, tallies["document"])
        _score(_iso(answers["effective_date"]), found.effective.mention.value if found.effective else None,
               tallies["effective"])
        _score(_iso(answers["expiration_date"]), found.expiry.mention.value if found.expiry else None,
               tallies["expiry"])
    document, effective, expiry = tallies["document"], tallies["effective"], tallies["expiry"]
    accuracy = document["right"] / len(truth)
    asserted = effective["right"] + effective["wrong"] + effective["asserted where absent"]
    precision = effective["right"] / max(1, asserted)
    recall = effective["right"] / max(1, effective["right"] + effective["wrong"] + effective["missing"])
    expiry_recall = expiry["right"] / max(1, expiry["right"] + expiry["wrong"] + expiry["missing"])
    print(f"\ncuad-dev: document date {accuracy:.1%}, effective precision {precision:.2f} recall {recall:.2f}, "
          f"expiry recall {expiry_recall:.2f}")
    assert accuracy >= 0.95, document
    assert precision >= 0.95 and recall >= 0.85, effective
    assert expiry_recall >= 0.70 and expiry["wrong"] <= 3 and expiry["asserted where absent"] <= 1, expiry
