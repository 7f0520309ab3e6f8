"""Shared helpers for OCR tests: word accuracy, the corpus location, and a session cache
so each corpus file is extracted (and OCR'd) at most once per test session."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from pathlib import Path

import pytest

from ingest import Context, Record, Source, extract

__all__ = ["CORPUS", "REPO", "corpus_path", "corpus_record", "normalised_words", "word_accuracy"]

from tests.conftest import CORPUS, REPO

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "—": "-", "–": "-"})


def normalised_words(text: str) -> list[str]:
    """Lower-cased words with typographic quotes folded and edge punctuation dropped."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    words = (w.strip(".,;:!?\"'()[]{}*") for w in re.split(r"\s+", text))
    return [w for w in words if w]


def word_accuracy(truth: str, ocr: str) -> float:
    """Matched ground-truth words / all ground-truth words (difflib on word lists)."""
    expected, got = normalised_words(truth), normalised_words(ocr)
    if not expected:
        return 1.0 if not got else 0.0
    matcher = difflib.SequenceMatcher(a=expected, b=got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(expected)


def corpus_path(relative: str) -> Path:
    """A file of ../shared/corpus; skips the test when the corpus is absent."""
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip("../shared/corpus is not present on this machine")
    return path


def corpus_record(relative: str, password: str | None = None) -> Record:
    """``ingest.extract`` of one corpus file, once per session; skips when the corpus is absent."""
    if not (CORPUS / relative).is_file():
        pytest.skip("../shared/corpus is not present on this machine")
    return _extracted(relative, password)


@functools.cache
def _extracted(relative: str, password: str | None) -> Record:
    path = CORPUS / relative
    record = extract(Source.from_bytes(path.read_bytes(), path.name), Context(password=password))
    if not isinstance(record.children, tuple):
        record = _with_children(record)
    return record


def _with_children(record: Record) -> Record:
    from dataclasses import replace

    return replace(record, children=tuple(record.children))
