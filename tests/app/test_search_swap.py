"""The index is a cache of the database: swapped whole, rebuilt when missing or damaged, empty when empty."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.archive import Archive, open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.search import reindex, search
from tests.conftest import SAMPLES, run

NOTES = SAMPLES / "northwind" / "notes"


def _loaded(settings: Settings) -> None:
    archive = open_archive(settings)
    ingest_paths(archive, paths=[NOTES], client="northwind")
    archive.close()


def _hits(settings: Settings, query: str = "acceptance") -> int:
    archive = open_archive(settings)
    try:
        return search(archive, query=query).total
    finally:
        archive.close()


def test_an_empty_archive_searches_to_no_hits(settings: Settings) -> None:
    archive: Archive = open_archive(settings)
    try:
        assert search(archive, query="invoice").total == 0
    finally:
        archive.close()
    result = run(settings.data, "search", "invoice")
    assert result.returncode == 0 and "internal error" not in result.stderr


def test_a_rebuild_makes_a_new_generation_live_in_one_step(settings: Settings) -> None:
    _loaded(settings)
    index = settings.index_dir
    before = (index / "CURRENT").read_text().strip()
    archive = open_archive(settings)
    try:
        reindex(archive)
    finally:
        archive.close()
    after = (index / "CURRENT").read_text().strip()
    assert after != before and sorted(p.name for p in index.iterdir() if p.is_dir()) == [after]
    assert _hits(settings) > 0


def test_a_rebuild_killed_before_its_swap_leaves_the_old_index_working(settings: Settings) -> None:
    _loaded(settings)
    index = settings.index_dir
    live = (index / "CURRENT").read_text().strip()
    half_built = index / "gen-999999"  # what a reindex killed mid-way leaves
    half_built.mkdir()
    (half_built / "_MAIN_1.toc").write_bytes(b"half")
    assert _hits(settings) > 0 and (index / "CURRENT").read_text().strip() == live
    archive = open_archive(settings)
    try:
        reindex(archive)  # the next rebuild clears it
    finally:
        archive.close()
    assert not half_built.exists()


def test_a_missing_index_is_rebuilt_from_the_database(settings: Settings) -> None:
    _loaded(settings)
    expected = _hits(settings)
    shutil.rmtree(settings.index_dir)
    assert _hits(settings) == expected > 0


def test_a_damaged_index_is_rebuilt_not_an_internal_error(settings: Settings) -> None:
    _loaded(settings)
    expected = _hits(settings)
    live = settings.index_dir / (settings.index_dir / "CURRENT").read_text().strip()
    for toc in live.glob("*.toc"):
        toc.write_bytes(b"\x00garbage")
    assert _hits(settings) == expected
    result = run(settings.data, "search", "acceptance")
    assert result.returncode == 0 and "internal error" not in result.stderr


def test_an_index_in_the_layout_before_generations_is_read_then_moved(settings: Settings, tmp_path: Path) -> None:
    _loaded(settings)
    index = settings.index_dir
    live = index / (index / "CURRENT").read_text().strip()
    for path in live.iterdir():  # as a Casefile before generations wrote it: files straight in index/
        shutil.move(str(path), index / path.name)
    live.rmdir()
    (index / "CURRENT").unlink()
    assert _hits(settings) > 0
    archive = open_archive(settings)
    try:
        reindex(archive)
    finally:
        archive.close()
    assert [p.name for p in index.iterdir() if p.is_file() and not p.name.startswith(".")] == ["CURRENT"]
    assert _hits(settings) > 0
