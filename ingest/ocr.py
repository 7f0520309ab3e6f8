"""Tesseract OCR: one subprocess per page, run in parallel, each with its own time limit.

Why a thread pool driving subprocesses (and not a process pool): the work happens inside
the ``tesseract`` child, so the GIL is released while a thread waits on it and two pages
really run on two cores; a page that hangs is killed at its deadline and one that crashes
only ends its own child, so the pool is never poisoned and the next page just runs. A
process pool would add pickling of multi-megabyte images and a broken-pool state to
recover from, and buy nothing. Tesseract's own OpenMP threading is switched off
(``OMP_THREAD_LIMIT=1``): measured here, two pages in parallel with OpenMP on ran 5x
slower than with it off, because the threads of both children fight over the same cores.

One tesseract run per page yields everything we keep: ``txt`` (the text), ``tsv`` (word
confidences) and a text-only ``pdf`` page (the invisible layer for a searchable PDF);
measured here, the two extra outputs cost ~3-5% CPU over ``txt`` alone, far less than a
second run. A page skewed by more than a degree (up to about 15) is levelled first
(``deskew``): tesseract fits each line's baseline and copes with a degree or two, but
reads a page fed to the scanner at 10 degrees as noise. The angle goes with the result
(``OcrResult.skew``) so the invisible words of a searchable PDF are turned back onto the
original picture, and quarter turns are still left to tesseract's orientation detection.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image

from .deskew import straighten, straightening_angle
from .limits import Limits

__all__ = [
    "OcrResult",
    "PageImage",
    "engine_name",
    "ocr_image",
    "ocr_pages",
    "page_image",
    "tesseract_available",
    "worker_count",
]

# Below this mean word confidence we ask tesseract's orientation detection (OSD) whether
# the page is turned, and if so read it again turned upright: an upside-down page read
# as-is scores ~30-50, an upright one 80-95. OSD on every page would cost about as much
# again as the reading itself (~1 s a page measured here) for the rare rotated scan.
_RETRY_BELOW_CONFIDENCE = 65.0
_OSD_HALVE_ABOVE = 4_000_000  # pixels; a 200-dpi letter page is 3.7 million
_OSD_MIN_CONFIDENCE = 2.0  # tesseract's own scale; below this its guess is noise
# OpenMP off in every child: we parallelise across pages instead (see module docstring)
_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}
_LANG_RE = re.compile(r"^[A-Za-z_]+(?:\+[A-Za-z_]+)*$")


@dataclass(frozen=True)
class PageImage:
    """One picture to OCR: raw PNM bytes, or a scan's JPEG exactly as the PDF stores it.

    Never PNG: measured here, compressing the picture cost more than reading it.
    """

    data: bytes
    width: int
    height: int
    dpi: int  # 0 when unknown: tesseract estimates it


@dataclass(frozen=True)
class OcrResult:
    """What tesseract read on one page; ``error`` set means the page could not be read."""

    text: str = ""
    confidence: float | None = None
    layer_pdf: bytes | None = None  # tesseract's text-only PDF page (invisible words)
    engine: str = ""
    words: int = 0
    error: str | None = None
    turned: int = 0  # degrees the picture was turned clockwise before reading (the layer too)
    # degrees the picture was levelled counter-clockwise before reading (and before any turn)
    skew: float = 0.0


def page_image(image: Image.Image, dpi: int) -> PageImage:
    """``image`` as raw PNM for tesseract: bi-level stays 1 bit, everything else grey."""
    # Tesseract binarises a grey image itself; colour only triples the bytes we pipe.
    if image.mode not in ("1", "L"):
        image = image.convert("L")
    buf = io.BytesIO()
    image.save(buf, format="PPM")  # P4/P5: a header and the raw pixels, no compression
    return PageImage(buf.getvalue(), image.width, image.height, max(0, int(round(dpi))))


@functools.cache
def _tesseract() -> str | None:
    return shutil.which("tesseract")


def tesseract_available() -> bool:
    """True when a tesseract binary is on PATH."""
    return _tesseract() is not None


@functools.cache
def _version() -> str:
    exe = _tesseract()
    if exe is None:
        return "unknown"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    match = re.search(r"tesseract\s+v?([\w.\-]+)", out.stdout + out.stderr)
    return match.group(1) if match else "unknown"


@functools.cache
def _installed_languages() -> frozenset[str]:
    exe = _tesseract()
    if exe is None:
        return frozenset()
    out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
    lines = (out.stdout + out.stderr).splitlines()
    return frozenset(line.strip() for line in lines[1:] if _LANG_RE.match(line.strip()))


def _languages(wanted: str) -> str:
    """The configured languages that are installed ("eng" if none of them is)."""
    installed = _installed_languages()
    asked = [lang for lang in wanted.split("+") if lang and _LANG_RE.match(lang)]
    usable = [lang for lang in asked if lang in installed]
    return "+".join(usable) or "eng"


def engine_name(limits: Limits) -> str:
    """The engine string stored on each OCR'd page, e.g. "tesseract 5.3.0 (eng)"."""
    return f"tesseract {_version()} ({_languages(limits.ocr_languages)})"


def worker_count(limits: Limits) -> int:
    """How many pages are OCR'd at once (``ocr_workers``, 0 meaning one per core)."""
    return limits.ocr_workers if limits.ocr_workers > 0 else max(1, os.cpu_count() or 1)


def _mean_confidence(tsv: str) -> tuple[float | None, int]:
    """Mean confidence of the recognised words in tesseract's TSV, and how many there were."""
    total, count = 0.0, 0
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        if conf >= 0:
            total += conf
            count += 1
    return (round(total / count, 2) if count else None), count


def _dpi_args(image: PageImage) -> list[str]:
    # 0 means the picture does not say: tesseract then estimates it from the x-height
    return ["--dpi", str(image.dpi)] if image.dpi > 0 else []


def _run_once(picture: str, image: PageImage, langs: str, psm: int, seconds: float) -> OcrResult:
    """One tesseract run on the picture file, writing txt + tsv + text-only pdf beside it."""
    base = os.path.join(os.path.dirname(picture), f"psm{psm}")
    cmd = [_exe(), picture, base, "-l", langs, "--psm", str(psm), *_dpi_args(image)]
    cmd += ["-c", "textonly_pdf=1", "txt", "tsv", "pdf"]
    try:
        done = subprocess.run(cmd, capture_output=True, env=_ENV, timeout=max(seconds, 1e-9))
    except subprocess.TimeoutExpired:
        # run() has already killed and reaped the child
        return OcrResult(error=f"OCR timed out (limit {seconds:g} s per page)")
    except OSError as exc:
        return OcrResult(error=f"tesseract could not start ({exc.strerror or exc})")
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = tail[-1][:200] if tail else ""
        code = done.returncode
        how = f"killed by signal {-code}" if code < 0 else f"exit {code}"
        return OcrResult(error=f"tesseract failed ({how}){': ' + why if why else ''}")
    try:
        with open(base + ".txt", encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        with open(base + ".tsv", encoding="utf-8", errors="replace") as fh:
            tsv = fh.read()
        with open(base + ".pdf", "rb") as fh:
            layer = fh.read()
    except OSError:
        return OcrResult(error="tesseract produced no output")
    confidence, words = _mean_confidence(tsv)
    return OcrResult(text=text.replace("\f", "").strip(), confidence=confidence, layer_pdf=layer, words=words)


def _orientation(picture: str, image: PageImage, seconds: float) -> int:
    """Degrees tesseract's orientation detection says the page is turned (0 if unsure)."""
    if seconds <= 0:
        return 0
    cmd = [_exe(), picture, "stdout", "--psm", "0", *_dpi_args(image)]
    try:
        done = subprocess.run(cmd, capture_output=True, env=_ENV, timeout=seconds)
    except (subprocess.TimeoutExpired, OSError):
        return 0
    out = done.stdout.decode("utf-8", "replace")
    rotate = re.search(r"Rotate:\s*(\d+)", out)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    if not rotate or not confidence or float(confidence.group(1)) < _OSD_MIN_CONFIDENCE:
        return 0
    return int(rotate.group(1)) % 360


def _osd_picture(picture: str, image: PageImage, folder: str) -> tuple[str, PageImage]:
    """The picture for orientation detection: halved when large (measured: same verdict
    on a 300-dpi page at half size, in ~55% of the time)."""
    if image.width * image.height < _OSD_HALVE_ABOVE:
        return picture, image
    try:
        with Image.open(io.BytesIO(image.data)) as full:
            half = full.reduce(2)
    except (OSError, ValueError):
        return picture, image
    path = os.path.join(folder, "osd")
    half.save(path, format="PPM")
    return path, PageImage(b"", half.width, half.height, image.dpi // 2)


_TURN = {
    90: Image.Transpose.ROTATE_270,  # PIL turns counter-clockwise: 270 ccw is 90 cw
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def _turned_picture(image: PageImage, turn: int, folder: str) -> tuple[str, PageImage] | None:
    """The picture turned ``turn`` degrees clockwise (exact, no resampling), as a PNM file."""
    if turn not in _TURN:
        return None
    try:
        with Image.open(io.BytesIO(image.data)) as original:
            upright = original.transpose(_TURN[turn])
    except (OSError, ValueError):
        return None
    path = os.path.join(folder, f"turned{turn}")
    upright.save(path, format="PPM")
    return path, PageImage(b"", upright.width, upright.height, image.dpi)


def _levelled(picture: str, image: PageImage, folder: str) -> tuple[str, PageImage, float]:
    """The picture with its text lines levelled, and the angle it was turned; the picture
    as it was (angle 0.0) when it is level, or cannot be measured."""
    try:
        with Image.open(io.BytesIO(image.data)) as original:
            if original.format == "JPEG":
                # a scan's JPEG as stored: measured at a quarter size, decoded by the DCT
                # scaling in libjpeg (the full decode is only paid for a skewed page)
                original.draft("L", (max(1, original.width // 4), max(1, original.height // 4)))
            angle = straightening_angle(original)
        if not angle:
            return picture, image, 0.0
        with Image.open(io.BytesIO(image.data)) as original:
            level = straighten(original, angle)
    except Exception:  # best effort: a picture Pillow cannot take is read as it is
        return picture, image, 0.0
    buf = io.BytesIO()
    level.save(buf, format="PPM")
    path = os.path.join(folder, "level")
    with open(path, "wb") as fh:
        fh.write(buf.getvalue())
    return path, PageImage(buf.getvalue(), level.width, level.height, image.dpi), angle


def _exe() -> str:
    """The tesseract binary's path (``FileNotFoundError`` if it is not installed)."""
    exe = _tesseract()
    if exe is None:
        raise FileNotFoundError("tesseract is not installed")
    return exe


def ocr_image(image: PageImage, limits: Limits, seconds: float | None = None) -> OcrResult:
    """Tesseract's reading of one page, never raising: failures come back as ``error``."""
    if not tesseract_available():
        return OcrResult(error="tesseract is not installed")
    langs = _languages(limits.ocr_languages)
    budget = limits.ocr_seconds_per_page if seconds is None else seconds
    deadline = time.monotonic() + budget
    with tempfile.TemporaryDirectory(prefix="casefile-ocr-") as tmp:
        # A file, not stdin: tesseract reads stdin byte by byte, measured here at ~12% more
        # CPU per page than reading the same PNM from a file (page cache, never the disk).
        picture = os.path.join(tmp, "page")  # leptonica tells PNM from JPEG by content
        with open(picture, "wb") as fh:
            fh.write(image.data)
        picture, image, skew = _levelled(picture, image, tmp)
        first = _run_once(picture, image, langs, 3, budget)
        if first.error is None and (first.confidence or 0.0) < _RETRY_BELOW_CONFIDENCE:
            # A poor reading may be a page on its side or upside down. Asking OSD first
            # keeps pages that are merely hard (tables, faint copies) from being read twice.
            # (psm 1 would do both in one run, but it declines to turn a page whenever its
            # margin is weak, e.g. an upside-down page of three lines; so we turn it.)
            turn = _orientation(*_osd_picture(picture, image, tmp), deadline - time.monotonic())
            turned = _turned_picture(image, turn, tmp) if turn else None
            if turned is not None:
                second = _run_once(*turned, langs, 3, deadline - time.monotonic())
                if second.error is None and (second.confidence or 0.0) > (first.confidence or 0.0):
                    first = dataclasses.replace(second, turned=turn)
    return OcrResult(
        text=first.text,
        confidence=first.confidence,
        layer_pdf=first.layer_pdf,
        engine=f"tesseract {_version()} ({langs})",
        words=first.words,
        error=first.error,
        turned=first.turned,
        skew=skew,
    )


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """One shared pool per size, so concurrent documents together stay within the cores."""
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="casefile-ocr")
            _POOLS[workers] = pool
        return pool


def ocr_pages(images: Iterable[PageImage], limits: Limits, seconds: float | None = None) -> Iterator[OcrResult]:
    """Results for ``images`` in order, OCR'd in parallel; never raises for a bad page.

    ``images`` is consumed lazily on the caller's thread (rendering with PDFium must stay
    on one thread) and at most one page more than there are workers is held at once (a
    render takes ~0.1 s and an OCR ~1 s, so one spare keeps every worker busy): memory
    stays bounded however long the document is.
    """
    workers = worker_count(limits)
    pool = _pool(workers)
    pending: deque[Future[OcrResult]] = deque()
    for image in images:
        pending.append(pool.submit(ocr_image, image, limits, seconds))
        while len(pending) > workers:
            yield _result(pending.popleft())
    while pending:
        yield _result(pending.popleft())


def _result(future: Future[OcrResult]) -> OcrResult:
    try:
        return future.result()
    except Exception as exc:  # ocr_image never raises by design; belt and braces
        return OcrResult(error=f"OCR failed ({type(exc).__name__})")
