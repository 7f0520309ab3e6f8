"""Contract dates against experts' answers: the document's date, effective date and expiry.

Reads every PDF of a CUAD-style folder (``files/`` + ``truth.json``, see the corpus
README) with the same page reader ingest uses, runs ``ingest.docdates.document_dates``,
and prints right / wrong / missing per role next to a naive baseline measured in the
same run (the first date in the text; the first date after an "effective" cue; the first
date after an "expir/terminat" cue). "Asserted where absent" counts dates we gave for a
role the experts say the contract does not state.

Then the issue's figures: document-date accuracy, effective precision and recall, expiry
recall (stated and computed), and the share of role-labelled mentions (effective, expiry,
signed, deadline, due) whose date is none of the experts' dates for that contract.

    .venv/bin/python bench/dates.py [--corpus ../shared/corpus/cuad-dev] [-v]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdfium2 as pdfium  # noqa: E402

from ingest.docdates import document_dates  # noqa: E402
from ingest.mentions import date_mentions  # noqa: E402
from ingest.pdfpages import page_texts, tidy  # noqa: E402

ROLES = ("document", "effective", "expiry")


@dataclass
class Tally:
    right: int = 0
    wrong: int = 0
    missing: int = 0
    asserted_absent: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, truth: str | None, got: date | None, stated: bool) -> None:
        if truth is None:
            if got is not None and stated:
                self.asserted_absent += 1
                self.misses.append(f"{name}: absent, gave {got}")
            return
        if got is None:
            self.missing += 1
            self.misses.append(f"{name}: missing {truth}")
        elif got.isoformat() == truth:
            self.right += 1
        else:
            self.wrong += 1
            self.misses.append(f"{name}: wrong {got} for {truth}")


def read_pages(path: Path) -> list[tuple[int | None, str]]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [(number, tidy(text)) for number, text in enumerate(page_texts(doc), start=1)]
    finally:
        doc.close()


def truth_of(entry: dict[str, object], role: str) -> str | None:
    if role == "document":
        return entry.get("document_date_iso")  # type: ignore[return-value]
    key = {"effective": "effective_date", "expiry": "expiration_date"}[role]
    answer = entry[key]
    assert isinstance(answer, dict)
    return answer.get("iso") if answer.get("kind") in ("stated", "derived") else None


ROLE_LABELS = ("effective", "expiry", "signed", "deadline", "due")


def experts_dates(entry: dict[str, object]) -> set[str]:
    """Every date the experts gave or marked for the contract (ISO strings)."""
    dates: set[str] = set()
    for key in ("agreement_date", "effective_date", "expiration_date"):
        answer = entry[key]
        assert isinstance(answer, dict)
        dates.update(answer.get("dates_written") or [])
        if answer.get("iso"):
            dates.add(answer["iso"])
    return dates


def role_mentions(pages: Sequence[tuple[int | None, str]]) -> list[str]:
    """The dates of the mentions ingest gives a role, one per (date, label)."""
    found = document_dates(pages)
    return sorted({(m.value.isoformat(), m.label) for m in found.mentions if m.label in ROLE_LABELS})  # type: ignore[misc]


def ours(pages: Sequence[tuple[int | None, str]]) -> dict[str, date | None]:
    found = document_dates(pages)
    return {
        "document": found.dated.mention.value if found.dated else None,
        "effective": found.effective.mention.value if found.effective else None,
        "expiry": found.expiry.mention.value if found.expiry else None,
    }


def baseline(pages: Sequence[tuple[int | None, str]]) -> dict[str, date | None]:
    mentions = date_mentions(pages)
    first = mentions[0].value if mentions else None
    effective = next((m.value for m in mentions if m.label == "effective"), None)
    ends = next((m.value for m in mentions if m.label == "deadline" and any(
        cue in m.sentence.lower() for cue in ("expir", "terminat"))), None)
    return {"document": first, "effective": effective, "expiry": ends}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/cuad-dev"))
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    truth = json.loads((args.corpus / "truth.json").read_text())
    tallies = {(who, role): Tally() for who in ("ours", "baseline") for role in ROLES}
    roles_total = roles_off = 0
    by_class = {"own": [0, 0], "obligation": [0, 0]}  # [total, off]: own roles vs deadline/due cues
    off_examples: list[str] = []
    for name in sorted(truth):
        pages = read_pages(args.corpus / "files" / name)
        for who, answer in (("ours", ours(pages)), ("baseline", baseline(pages))):
            for role in ROLES:
                tallies[who, role].add(name[:60], truth_of(truth[name], role), answer[role], True)
        known = experts_dates(truth[name])
        for value, label in role_mentions(pages):
            roles_total += 1
            group = by_class["obligation" if label in ("deadline", "due") else "own"]
            group[0] += 1
            if value not in known:
                roles_off += 1
                group[1] += 1
                off_examples.append(f"{name[:50]}: {label} {value}")
    print(f"{len(truth)} contracts from {args.corpus}")
    print(f"{'role':<10} {'':>9} {'right':>6} {'wrong':>6} {'missing':>8} {'asserted where absent':>22}")
    for role in ROLES:
        for who in ("ours", "baseline"):
            t = tallies[who, role]
            print(f"{role:<10} {who:>9} {t.right:>6} {t.wrong:>6} {t.missing:>8} {t.asserted_absent:>22}")
    document, effective, expiry = (tallies["ours", role] for role in ROLES)
    asserted = effective.right + effective.wrong + effective.asserted_absent
    stated = effective.right + effective.wrong + effective.missing
    print()
    print(f"document date accuracy     {document.right / len(truth):6.1%}   (target >= 95%)")
    print(f"effective precision        {effective.right / max(1, asserted):6.2f}   (target >= 0.95)")
    print(f"effective recall           {effective.right / max(1, stated):6.2f}   (target >= 0.85)")
    expiry_stated = expiry.right + expiry.wrong + expiry.missing
    print(f"expiry recall              {expiry.right / max(1, expiry_stated):6.2f}   (target >= 0.70)")
    print(f"role mentions off experts' {roles_off / max(1, roles_total):6.1%}   ({roles_off} of {roles_total};"
          " target <= 10%)")
    for group, (total, off) in by_class.items():
        words = "effective/expiry/signed" if group == "own" else "deadline/due (obligations)"
        print(f"  of which {words:<27} {off / max(1, total):6.1%}   ({off} of {total})")
    if args.verbose:
        for role in ROLES:
            for line in tallies["ours", role].misses:
                print(f"  {role}: {line}")
        for line in off_examples:
            print(f"  role off: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
