"""Shared fixtures: a fresh archive in a temp dir, and paths to real test files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.archive import Archive, open_archive
from app.config import Settings

# Starlette's TestClient names its server "testserver": in local mode (no accounts) only
# hosts naming this machine are served, so the tests' archives count that name as one.
os.environ.setdefault("CASEFILE_LOCAL_HOSTS", '["127.0.0.1", "localhost", "::1", "testserver"]')

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_docs"
CORPUS = REPO.parent / "shared" / "corpus"
CASEFILE = Path(sys.executable).parent / "casefile"  # the installed console script


def run(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs the real ``casefile`` command on the archive in ``data``; never a traceback."""
    env = {**os.environ, "CASEFILE_DATA": str(data), "CASEFILE_TIMEZONE": "Europe/London"}
    result = subprocess.run([str(CASEFILE), *args], capture_output=True, text=True, env=env, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


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
