"""Shared fixtures: a fresh archive in a temp dir, and paths to real test files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.archive import Archive, open_archive
from app.config import Settings

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_docs"
CORPUS = REPO.parent / "shared" / "corpus"


def corpus_dir(name: str) -> Path:
    """A folder of ../shared/corpus; the test is skipped only when the corpus is absent."""
    folder = CORPUS / name
    if not folder.is_dir():
        pytest.skip("../shared/corpus is not present on this machine")
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data=tmp_path / "data", actor="tester", timezone="Europe/London")


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    opened = open_archive(settings)
    yield opened
    opened.close()
