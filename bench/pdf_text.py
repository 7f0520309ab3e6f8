"""Text-PDF extraction speed: our PDF extractor vs poppler's pdftotext on the same file.

Generates a 200-page text PDF with reportlab in a temp dir, then times, in the same run,
the whole ``ingest.extract`` path (pypdf structure + PDFium text + the per-page usability
check + date mentions) and ``pdftotext``. Prints pages/s for both and the ratio (target:
ours >= 50% of pdftotext's rate). Usage: ``python bench/pdf_text.py [--pages N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from ingest import Source, Status, extract  # noqa: E402

__all__ = ["main", "make_pdf", "time_ours", "time_pdftotext"]

WORDS = (
    "agreement party consultant client services fee invoice payment term notice confidential "
    "deliver schedule milestone warranty liability termination effective governing law court "
    "clause section obligation breach remedy insurance indemnity period renewal signature"
).split()


def make_pdf(path: Path, pages: int) -> None:
    """A ``pages``-page A4 PDF of contract-like prose, 55 lines a page."""
    rng = random.Random(7)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(1, pages + 1):
        pdf.setFont("Helvetica", 9)
        y = 800
        for line in range(55):
            words = " ".join(rng.choice(WORDS) for _ in range(14))
            if line == 3:
                words += f" payable on or before {rng.randint(1, 28)} March 2024"
            pdf.drawString(50, y, f"{number}.{line} {words}")
            y -= 14
        pdf.showPage()
    pdf.save()


def time_ours(path: Path, pages: int, runs: int) -> float:
    """Pages/s of the full ``ingest.extract`` path, best of ``runs``."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        record = extract(Source(filename=path.name, path=path))
        elapsed = time.perf_counter() - started
        assert record.status is Status.OK and len(record.pages) == pages, record.error
        assert all(p.method == "text_layer" for p in record.pages)
        best = min(best, elapsed)
    return pages / best


def time_pdftotext(path: Path, pages: int, runs: int) -> float:
    """Pages/s of poppler's pdftotext writing a text file, best of ``runs``."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise SystemExit("pdftotext (poppler-utils) is not installed")
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([exe, str(path), str(path.with_suffix(".txt"))], check=True)
        best = min(best, time.perf_counter() - started)
    return pages / best


def main() -> None:
    """Prints pages/s for ours and pdftotext, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="best of N runs each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casefile-bench-") as tmp:
        path = Path(tmp) / "text.pdf"
        make_pdf(path, args.pages)
        extract(Source(filename=path.name, path=path))  # warm-up: imports, PDFium init
        ours = time_ours(path, args.pages, args.runs)
        poppler = time_pdftotext(path, args.pages, args.runs)
        size = path.stat().st_size
    print(f"file: {args.pages} pages, {size / 1e6:.1f} MB (best of {args.runs} runs each)")
    print(f"{'extractor':<28}{'pages/s':>10}")
    print(f"{'casefile ingest (pdfium)':<28}{ours:>10.0f}")
    print(f"{'pdftotext (poppler)':<28}{poppler:>10.0f}")
    print(f"ratio ours/pdftotext: {ours / poppler:.0%} (target >= 50%)")


if __name__ == "__main__":
    main()
