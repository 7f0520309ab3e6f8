"""Bundle export benchmark: ``casefile export`` against ``zip -r`` of the same originals.

Generates one client with 2,000 items (~500 MB of originals, mostly incompressible like
real PDFs and photos): text PDFs carrying a noise picture, emails with a binary
attachment, and loose binary files. Then, in the same run and each in its own process
so their memory does not mix, times ``zip -r`` of the blob folder and the export of the
client, and prints MB/s of the natives part side by side, the whole export's rate, and
peak RSS.

    .venv/bin/python bench/bundle.py [--items 2000] [--kb 300]

Targets: natives throughput >= 50% of zip's; peak RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from PIL import Image
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

REPO = Path(__file__).resolve().parents[1]
WORDS = (
    "invoice delivery deadline loyalty module scope change payment overdue contract meeting "
    "release acceptance milestone review budget schedule reminder follow-up update support"
).split()


def _noise_jpeg(rng: random.Random, size: int) -> bytes:
    side = int((size / 2.4) ** 0.5)  # noise JPEGs at quality 95 take ~2.4 bytes a pixel
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _pdf(rng: random.Random, index: int, size: int) -> bytes:
    # Binary, compressed streams as real PDFs have (reportlab's default is ASCII85 text).
    rl_config.useA85 = 0
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setFont("Helvetica", 10)
    y = 800
    for _ in range(30):  # enough text that the extractor never OCRs the page
        pdf.drawString(56, y, " ".join(rng.choices(WORDS, k=12)) + f" #{index}")
        y -= 14
    pdf.drawImage(ImageReader(io.BytesIO(_noise_jpeg(rng, size))), 56, 60, width=300, height=300)
    pdf.save()
    return out.getvalue()


def _email(rng: random.Random, index: int, size: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = "greg@northwind-retail.example", "dana@whitfield-digital.example"
    msg["Subject"] = f"Re: {' '.join(rng.choices(WORDS, k=4))} #{index}"
    msg["Date"] = format_datetime(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=5 * index))
    msg["Message-ID"] = f"<bench-{index}@bench.example>"
    msg.set_content("\n".join(" ".join(rng.choices(WORDS, k=12)) for _ in range(10)))
    msg.add_attachment(rng.randbytes(size), maintype="application", subtype="octet-stream",
                       filename=f"export-{index}.dat")
    return msg.as_bytes()


def generate(folder: Path, items: int, size: int, seed: int = 7) -> int:
    """Writes files making ``items`` items (half PDFs, 40% email+attachment, 10% binaries)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    pdfs, emails = items // 2, items * 2 // 10
    loose = items - pdfs - 2 * emails
    for i in range(pdfs):
        (folder / f"doc-{i:05d}.pdf").write_bytes(_pdf(rng, i, size))
    for i in range(emails):
        (folder / f"mail-{i:05d}.eml").write_bytes(_email(rng, i, size))
    for i in range(loose):
        (folder / f"blob-{i:05d}.bin").write_bytes(rng.randbytes(size))
    return pdfs + 2 * emails + loose


INGEST = """
import sys
from pathlib import Path
from app.archive import open_archive
from app.config import Settings
from app.ingesting import ingest_paths
archive = open_archive(Settings(data=Path(sys.argv[2]), actor="bench"))
archive.blobs.durable = False  # set-up only: the benchmark is the export, not the ingest
report = ingest_paths(archive, paths=[Path(sys.argv[1])], client="bench")
assert report.ok, report.not_stored
print(report.stored)
"""

ZIP = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(["zip", "-r", "-q", sys.argv[2], "."], cwd=sys.argv[1], check=True)
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""

EXPORT = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from app.archive import open_archive
from app.bundle import export_bundle
from app.config import Settings
archive = open_archive(Settings(data=Path(sys.argv[1]), actor="bench"))
marks = {}
def progress(phase, done, total):
    marks.setdefault((phase, done == total), time.perf_counter())
start = time.perf_counter()
summary = export_bundle(archive, client="bench", out=Path(sys.argv[2]), as_of=date(2024, 12, 31),
                        progress=progress)
elapsed = time.perf_counter() - start
print(json.dumps({
    "seconds": elapsed, "natives_seconds": marks[("natives", True)] - marks[("natives", False)],
    "render_seconds": marks[("render", True)] - marks[("render", False)],
    "documents": summary.documents, "pages": summary.pages, "zip_bytes": summary.bytes,
    "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""


def _python(code: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=REPO)
    return out.stdout.strip().splitlines()[-1]


def _blob_files(data: Path) -> list[Path]:
    return [p for p in (data / "blobs").rglob("*") if p.is_file() and p.parent.name != "incoming"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=300, help="size of each original, KB")
    args = parser.parse_args()
    if not shutil.which("zip"):
        sys.exit("zip is not installed (make bench installs it)")
    with tempfile.TemporaryDirectory(prefix="casefile-bench-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        planned = generate(root / "files", args.items, args.kb * 1000)
        stored = int(_python(INGEST, str(root / "files"), str(root / "data")))
        blobs = _blob_files(root / "data")
        originals = sum(p.stat().st_size for p in blobs)
        print(f"set-up: {stored} items ({planned} planned), {len(blobs)} originals, "
              f"{originals / 1e6:.0f} MB, in {time.perf_counter() - start:.0f} s")
        for path in blobs:  # both runs read from a warm page cache
            path.read_bytes()
        zip_s, zip_rss = _python(ZIP, str(root / "data" / "blobs"), str(root / "baseline.zip")).split()
        zip_rate = originals / 1e6 / float(zip_s)
        ours = json.loads(_python(EXPORT, str(root / "data"), str(root / "bundle.zip")))
        natives_rate = originals / 1e6 / ours["natives_seconds"]
        ratio = natives_rate / zip_rate
        rss_mb = ours["rss_kb"] / 1024
        print(f"{'':34}{'seconds':>10}{'MB/s':>10}{'peak RSS MB':>14}")
        print(f"{'zip -r of the originals':34}{float(zip_s):>10.1f}{zip_rate:>10.0f}{int(zip_rss) / 1024:>14.0f}")
        print(f"{'casefile export: natives part':34}{ours['natives_seconds']:>10.1f}{natives_rate:>10.0f}{'':>14}")
        print(f"{'casefile export: whole bundle':34}{ours['seconds']:>10.1f}"
              f"{originals / 1e6 / ours['seconds']:>10.0f}{rss_mb:>14.0f}")
        print(f"  of which rendering/stamping {ours['documents']} documents, {ours['pages']} pages: "
              f"{ours['render_seconds']:.1f} s ({ours['documents'] / ours['render_seconds']:.0f} documents/s)")
        print(f"natives throughput = {ratio:.0%} of zip's (target >= 50%): {'OK' if ratio >= 0.5 else 'MISSED'}")
        print(f"peak RSS = {rss_mb:.0f} MB (target < 500 MB): {'OK' if rss_mb < 500 else 'MISSED'}")
        print(json.dumps({
            "items": stored, "originals_mb": round(originals / 1e6), "zip_mb_s": round(zip_rate),
            "natives_mb_s": round(natives_rate), "ratio": round(ratio, 3), "export_seconds": round(ours["seconds"], 1),
            "render_seconds": round(ours["render_seconds"], 1), "peak_rss_mb": round(rss_mb),
            "zip_bytes": ours["zip_bytes"], "baseline_zip_bytes": (root / "baseline.zip").stat().st_size,
        }))


if __name__ == "__main__":
    main()
