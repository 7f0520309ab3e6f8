"""Reading PDF pages with PDFium: each page's text layer and whether it is real text (the
picture of a page that needs OCR is ``pdfpictures``'s).

Text comes from pypdfium2 rather than pypdf: measured here, pypdf's ``extract_text`` runs
at ~16% of pdftotext's pages/s while PDFium runs at ~90% (``bench/pdf_text.py``), and
PDFium also renders. PDFium is not thread-safe, so every call into it holds
``PDFIUM_LOCK``; OCR parallelism comes from the tesseract children, not from rendering.
"""

from __future__ import annotations

import ctypes
import re
import threading
import unicodedata
from collections.abc import Callable

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .errors import Corrupt, Encrypted
from .text import clean_text

__all__ = ["PDFIUM_LOCK", "PageVisitor", "has_usable_text", "open_pdfium", "page_texts", "tidy"]

PDFIUM_LOCK = threading.RLock()

# ---- is this text layer real text? -------------------------------------------------

# UTF-8 read as Latin-1 / cp1252: "Iâ\x80\x99ve", "Iâ€™ve", "cafÃ©", or printed with the
# stray bytes octal-escaped ("Iâ\200\231ve", as enscript did in the corpus file)
_MOJIBAKE = re.compile(
    r"[âÃÂ]\\[0-3][0-7]{2}|â(?:[\x80-\x9f]|€[\x80-\x9f\u2018-\u201e\u2122\u0153]?)"
    r"|Ã[\x80-\xbf]|Â[\x80-\x9f]"
)
# glyph codes with no ToUnicode map come out as C0/C1 controls, private use or U+FFFD
_UNMAPPED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd\ud800-\udfff]")
_NOT_LETTER = re.compile(r"[\W\d_]+")
# Fast path, all in C: plainly cased Latin words and plain numbers, edge punctuation allowed.
_PLAIN_WORD = re.compile(
    r"(?<!\S)[(\[\"'“‘]*(?:[A-Z]?[a-z]+|[A-Z]{2,}|[aAI])(?:['’\-][A-Za-z]+)*[)\]\"'”’.,;:!?]*(?!\S)"
)
_PLAIN_NUMBER = re.compile(r"(?<!\S)[($€£#]?\d[\d.,/:%\-]*[)%.,;:]?(?!\S)")
# Arabic comma, semicolon, question mark and full stop close words as their Latin cousins do
_WORD_SAMPLE_CHARS = 1500
_EDGE = "\"'([{<>})]“”‘’.,;:!?-–—*•·،؛؟۔"
# Characters inside a word that are not letters yet belong there: combining marks (Arabic
# harakat, Hebrew niqqud and cantillation, Indic vowel signs, a decomposed accent), the
# joiners Persian and Indic spelling needs (ZWNJ, ZWJ), the direction marks RTL text
# carries (LRM, RLM, ALM) and Hebrew geresh/gershayim ("צה״ל"). Dropped before a token is
# judged: without this, vowelled Arabic or pointed Hebrew reads as junk and the page is
# sent to OCR, which (in English) loses the text.
_IN_WORD = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u05f3\u05f4"
    "\u0610-\u061a\u061c\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963\u200c-\u200f\ufb1e\ufe00-\ufe0f]"
)
_WORD = re.compile(r"^[^\W\d_]+(?:['’.\-][^\W\d_]+)*$")
_CAMEL = re.compile(r"^(?:Mc|Mac|O'|D'|L')?[A-Z]?[a-z]+(?:[A-Z][a-z]+)*$")
_NUMBER = re.compile(r"^[$€£#(+\-]?\d[\d.,/:%\-]*(?:st|nd|rd|th)?[)%]?$", re.IGNORECASE)
_IDENT = re.compile(r"^[\w.:/@?=&%+#~$()\-]+$")  # URLs, e-mail addresses, reference numbers
_LONE_LETTERS = set("aAiIoOeEuUyY&")
_SAMPLE = 400  # tokens judged one by one; a garbage layer shows in any sample this size


def _is_junk_token(token: str) -> bool:
    """A token no writer would produce: stray letters, symbols inside words, cRaZy case."""
    if not _WORD.match(token):
        token = _IN_WORD.sub("", token) or token  # "مُوَقَّع" is the word "موقع", vowelled
    if _WORD.match(token):
        core = re.sub(r"['’.\-]", "", token)
        if len(core) == 1:
            # "l e t t e r" from a bad OCR layer; a caseless letter (Arabic "و", a CJK
            # character, a Devanagari syllable once its vowel sign is set aside) is a word
            return core not in _LONE_LETTERS and (core.isupper() or core.islower())
        cased = core.islower() or core.isupper() or core.istitle()
        caseless = not any(c.isupper() or c.islower() for c in core)  # Arabic, CJK...
        return not (cased or caseless or _CAMEL.match(token))
    if _NUMBER.match(token):
        return False
    return not (_IDENT.match(token) and any(c.isalnum() for c in token))


def has_usable_text(text: str) -> bool:
    """True when a page's text layer reads as real text; False sends the page to OCR.

    False for: nothing there; glyph codes without a ToUnicode map (control characters,
    private-use code points, or the "01234567 8 898" digit soup pdftotext makes of them);
    UTF-8 mojibake ("Iâ€™ve"); and garbled OCR layers ("«POAH «3E*»CM tanntxim").
    """
    # Runs on every page of every PDF, so the common case is decided by C-level regex
    # scans; only doubtful pages get the token-by-token look.
    raw_tokens = text.split()
    compact = sum(map(len, raw_tokens))
    if compact < 3:
        return False
    if len(_UNMAPPED.findall(text)) > compact * 0.05:
        return False
    if ("â" in text or "Ã" in text or "Â" in text) and len(_MOJIBAKE.findall(text)) >= max(1, compact // 4000):
        return False
    # the word count runs on the page's head and tail when it is long: a text layer is
    # sound or broken as a whole (one font, one producer), and counting every word of a
    # dense page cost more than reading it; a doubtful sample still gets the full look below
    sample = text if len(text) <= 2 * _WORD_SAMPLE_CHARS else (
        text[:_WORD_SAMPLE_CHARS].rsplit(None, 1)[0] + "\n" + text[-_WORD_SAMPLE_CHARS:].split(None, 1)[-1])
    sample_tokens = raw_tokens if sample is text else sample.split()
    words = len(_PLAIN_WORD.findall(sample))
    if words >= 0.5 * len(sample_tokens) and (
        words >= 0.92 * len(sample_tokens)
        or words + len(_PLAIN_NUMBER.findall(sample)) >= 0.92 * len(sample_tokens)
    ):
        return True
    tokens = [t for t in (t.strip(_EDGE) for t in raw_tokens) if t]
    if not tokens:
        return False
    letters = len(_NOT_LETTER.sub("", text))
    digit_tokens = sum(1 for t in tokens if t.isdigit())
    if len(tokens) >= 4 and digit_tokens >= 0.6 * len(tokens) and letters < 0.1 * compact:
        return False  # glyph indices printed as digits, not a table (tables have headings)
    if len(tokens) > _SAMPLE:
        step = len(tokens) / _SAMPLE
        tokens = [tokens[int(i * step)] for i in range(_SAMPLE)]
    junk = sum(1 for t in tokens if _is_junk_token(t))
    return not (junk >= 3 and junk > 0.10 * len(tokens))


# ---- opening and reading ---------------------------------------------------------------


def open_pdfium(data: bytes, password: str | None) -> pdfium.PdfDocument:
    """The document opened by PDFium; ``Encrypted`` or ``Corrupt`` when it cannot be."""
    with PDFIUM_LOCK:
        try:
            return pdfium.PdfDocument(data, password=password)
        except pdfium.PdfiumError as exc:
            message = str(exc)
            if "password" in message.lower():
                raise Encrypted("wrong password" if password else "password required") from exc
            found = re.search(r"PDFium: ([^)]*)", message)
            detail = (found.group(1) if found else message).strip().rstrip(".").lower()
            raise Corrupt(f"not a readable PDF (PDFium: {detail or 'unknown error'})") from exc


def _normalise_layer(text: str) -> str:
    # PDFium marks a word hyphenated across a line break with \x02 and has already joined
    # the halves; NBSP and soft hyphens are how iText writes spaces and date dashes.
    text = text.replace("\r\n", "\n").replace("\x02", "")
    return text.replace("\xa0", " ").replace("\xad", "-")


# One line of the text layer as PDFium wrote it and where it stands: (text, left, bottom,
# top) in page space. Plain tuples: there is one per line of every text page.
_Run = tuple[str, float, float, float]

_SHORT_LINE = 40  # characters: labels, values, addresses, table cells
_FEW_SHORT = 0.1  # a page with no more than this share of short lines is running prose
_PROSE = 25  # characters: a run this long on both sides of a row is prose, not label/value
_COLUMN_ROWS = 0.3  # this share of rows holding two prose runs side by side means columns


def _runs(textpage: pdfium.PdfTextPage, raw: str) -> list[_Run] | None:
    """Every non-blank line with its first character's box; None when the page reads top
    to bottom already (each line wholly below the one before), the common case."""
    if len(raw) != textpage.count_chars():
        return None  # characters and indices disagree (surrogates): keep the stream order
    runs: list[_Run] = []
    at = 0
    in_order = True
    previous_bottom = float("inf")
    # one raw call per line, with reused out-parameters: the helper's get_charbox makes
    # four doubles a call, and this runs on every text page
    handle = textpage.raw
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    get_box = pdfium_c.FPDFText_GetCharBox
    for line in raw.split("\r\n"):
        stripped = line.lstrip()
        if stripped:
            get_box(handle, at + len(line) - len(stripped), left, right, bottom, top)
            in_order = in_order and top.value < previous_bottom
            previous_bottom = bottom.value
            runs.append((line, left.value, bottom.value, top.value))
        at += len(line) + 2
    return None if in_order else runs


def _rows(runs: list[_Run]) -> list[list[_Run]]:
    """Runs grouped into visual rows (top to bottom), each row left to right."""
    rows: list[list[_Run]] = []
    bands: list[tuple[float, float]] = []
    for run in sorted(runs, key=lambda r: -r[3]):
        middle = (run[3] + run[2]) / 2
        for index, (low, high) in enumerate(bands):
            if low <= middle <= high:
                rows[index].append(run)
                break
        else:
            rows.append([run])
            bands.append((run[2], run[3]))
    order = sorted(range(len(rows)), key=lambda i: -bands[i][1])
    return [sorted(rows[i], key=lambda r: r[1]) for i in order]


def _in_reading_order(textpage: pdfium.PdfTextPage, raw: str) -> str:
    """The page's lines top to bottom, and left to right within a line.

    PDFium gives runs in the order the producer drew them: an invoice drawn column by
    column comes out as "Total due" in one place and its amount, or "Invoice date:" and
    its date, wherever the program put them. Sorting the runs into rows keeps a label
    with its value. A page set in two columns of prose keeps the stream order, which
    already reads each column through.
    """
    lines = [line for line in raw.split("\r\n") if line.strip()]
    if sum(len(line) < _SHORT_LINE for line in lines) <= _FEW_SHORT * len(lines):
        return raw  # running prose: its lines are written in order (and positions cost a call each)
    runs = _runs(textpage, raw)
    if runs is None or len(runs) < 2:
        return raw
    rows = _rows(runs)
    prose_pairs = sum(
        1 for row in rows if len(row) >= 2 and sum(len(r[0].strip()) >= _PROSE for r in row) >= 2
    )
    if prose_pairs >= 5 and prose_pairs >= _COLUMN_ROWS * len(rows):
        return raw
    return "\r\n".join("   ".join(run[0].strip() for run in row) for row in rows)


# told about each page while it is open: (1-based number, page, its text page)
PageVisitor = Callable[[int, pdfium.PdfPage, pdfium.PdfTextPage], None]


def page_texts(doc: pdfium.PdfDocument, visit: PageVisitor | None = None) -> list[str]:
    """The text layer of every page in reading order (normalised line ends, nothing judged
    yet); ``visit`` is called for each page while it is loaded (loading costs more than a
    look at its objects, so a second pass over the pages would double the cost)."""
    texts: list[str] = []
    with PDFIUM_LOCK:
        for index in range(len(doc)):
            try:
                page = doc[index]
            except pdfium.PdfiumError as exc:
                raise Corrupt(f"page {index + 1} cannot be loaded (broken page tree)") from exc
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
                if page.get_rotation() % 180 == 0:
                    raw = _in_reading_order(textpage, raw)
                texts.append(_normalise_layer(raw))
                if visit is not None:
                    visit(index + 1, page, textpage)
            finally:
                textpage.close()
                page.close()
    return texts


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # \f separates pages


# Arabic and Hebrew presentation forms: the shaped glyphs some producers map text to
# (U+FEE3 "ﻣ" for the letter meem at the start of a word). Kept as they are, nobody could
# search for the word typed on a keyboard.
_PRESENTATION_FORMS = re.compile("[\ufb1d-\ufb4f\ufb50-\ufdff\ufe70-\ufefe]+")


def _plain_letters(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group(0))


def tidy(text: str) -> str:
    """A page's text as stored: control characters dropped, Arabic and Hebrew presentation
    forms as the letters they show (NFKC, for those only), whitespace tidied. Right-to-left
    text, its direction marks included, is otherwise kept exactly as PDFium orders it."""
    text = _CONTROLS.sub("", text)
    if text and max(text) >= "\ufb1d":  # one C-level pass spares the regex on Latin pages
        text = _PRESENTATION_FORMS.sub(_plain_letters, text)
    return clean_text(text)
