"""Feeding one hostile file through the real ingest, then checking what every such test
must hold: the item says why in one line, the original is kept byte for byte, and a
normal file ingested after it in the same batch is stored fine."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from app.archive import Archive
from app.ingesting import ingest_paths
from app.models import Item

__all__ = ["Ingested", "ingest_hostile"]

NORMAL_TEXT = b"An ordinary note after the hostile file: the batch goes on.\n"


@dataclass(frozen=True)
class Ingested:
    item: Item  # the hostile file's top-level item
    children: list[Item]  # its direct members, in order


def ingest_hostile(archive: Archive, tmp_path: Path, name: str, data: bytes) -> Ingested:
    """Ingests ``name`` (holding ``data``) then a normal note in one batch; checks the
    original is kept byte-identical, the note after it was stored and read, and any
    reason given is one line."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / f"1-{name}").write_bytes(data)  # walked in name order: the hostile file first
    (folder / "2-normal.txt").write_bytes(NORMAL_TEXT)
    report = ingest_paths(archive, paths=[folder], client="northwind")
    assert report.ok, report.not_stored
    assert report.files == 2
    sha256 = hashlib.sha256(data).hexdigest()
    with archive.read() as session:
        top = session.exec(select(Item).where(Item.parent_id.is_(None))).all()  # type: ignore[union-attr]
        hostile = next(i for i in top if i.sha256 == sha256)
        normal = next(i for i in top if i.original_filename == "2-normal.txt")
        children = list(
            session.exec(select(Item).where(Item.parent_id == hostile.id).order_by(Item.id)).all()  # type: ignore[arg-type]
        )
    assert archive.blobs.read(sha256) == data
    assert archive.blobs.hash_of_stored(sha256) == sha256
    assert normal.status == "ok" and "the batch goes on" in normal.text
    for item in [hostile, *children]:
        assert item.error is None or "\n" not in item.error and "Traceback" not in item.error
    return Ingested(hostile, children)
