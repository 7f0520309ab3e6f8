"""Staging: every document rendered, stamped and numbered into a scratch folder.

Bates numbers are given out in plan order as each document is rendered, so numbering
is one pass and contiguous by construction. Rendered PDFs and texts are written to the
staging folder (not kept in memory); natives are not copied at all: the zip streams
them straight from the blob store later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from ..archive import Archive
from ..errors import InvalidInput
from ..models import DerivedFile, Item, ItemTag, ParticipantRow
from .describe import bates, native_extension
from .render import DocContext, render_pdf, render_text
from .selection import Plan, PlannedDoc

__all__ = ["MAX_BATES", "Progress", "StagedDoc", "stage_documents"]

MAX_BATES = 999_999  # six digits, zero-padded: the width never changes inside a bundle
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class StagedDoc:
    """One numbered document: where its parts are and what the index says about it."""

    item: Item  # detached from its session; ``text`` is not needed after staging
    planned: PlannedDoc
    participants: list[ParticipantRow]
    tags: list[str]
    first: int
    pages: int
    pdf_name: str
    pdf_sha256: str
    text_name: str | None
    text_sha256: str | None
    native_name: str | None
    same_pages: bool

    @property
    def last(self) -> int:
        return self.first + self.pages - 1


def _load(session: Session, doc: PlannedDoc) -> tuple[Item, list[ParticipantRow], str | None, list[str]]:
    item = session.get(Item, doc.item_id)
    assert item is not None
    people = list(session.exec(
        select(ParticipantRow).where(ParticipantRow.item_id == doc.item_id).order_by(col(ParticipantRow.id))
    ).all())
    searchable = session.exec(
        select(DerivedFile.sha256).where(DerivedFile.item_id == doc.item_id, DerivedFile.role == "searchable_pdf")
    ).first()
    tags = list(session.exec(
        select(ItemTag.tag).where(ItemTag.item_id == doc.item_id).order_by(col(ItemTag.tag))
    ).all())
    session.expunge_all()  # the rows outlive this short session
    return item, people, searchable, tags


def _names(session: Session, ids: list[int], *, titles: bool) -> dict[int, str]:
    """Attachments are known by file name; a container's members by title (and where they sit)."""
    if not ids:
        return {}
    rows = session.exec(select(Item.id, Item.original_filename, Item.title).where(col(Item.id).in_(ids))).all()
    if titles:
        return {i: f"{title} ({name})" if name and name != title else title for i, name, title in rows}  # type: ignore[misc]
    return {i: name or title for i, name, title in rows}  # type: ignore[misc]


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def stage_documents(
    archive: Archive, *, plan: Plan, prefix: str, folder: Path, progress: Progress | None = None
) -> list[StagedDoc]:
    """Renders each planned document into ``folder``/pdf and /text, numbered from 1."""
    (folder / "pdf").mkdir()
    (folder / "text").mkdir()
    staged: list[StagedDoc] = []
    controls: dict[int, str] = {}
    in_plan = {d.item_id for d in plan.docs}
    number = 1
    for done, doc in enumerate(plan.docs):
        if progress:
            progress("render", done, len(plan.docs))
        # One short read per document: SQLite read sessions here take the write lock,
        # and an export must not hold up an ingest for minutes.
        with archive.read() as session:
            item, people, searchable, tags = _load(session, doc)
            children = plan.children.get(doc.item_id, [])
            names = _names(session, [c for c in children if c in in_plan], titles=doc.container)
        control = bates(prefix, number)
        ctx = DocContext(
            item=item, participants=people, searchable_sha256=searchable,
            attachments=[] if doc.container else [names[c] for c in children if c in names],
            container=doc.container,
            members=[(controls[c], names[c]) for c in children if c in controls and c in names]
            if doc.container else [],
            member_total=len(children),
            foreign_members=doc.foreign_members,
        )
        rendered = render_pdf(archive, ctx, lambda page, first=number: bates(prefix, first + page))
        if number + rendered.pages - 1 > MAX_BATES:
            raise InvalidInput(f"the selection needs more than {MAX_BATES:,} pages; export a narrower date range")
        pdf_name = f"pdf/{control}.pdf"
        pdf_sha = _write(folder / pdf_name, rendered.data)
        text = render_text(ctx)
        text_name = f"text/{control}.txt" if text else None
        text_sha = _write(folder / text_name, text.encode("utf-8")) if text_name else None
        withheld = doc.foreign_members > 0  # its bytes hold another client's documents
        native = f"natives/{control}{native_extension(item)}" if item.sha256 and not withheld else None
        item.text = ""  # the text is staged; keep memory flat however many documents
        staged.append(StagedDoc(
            item=item, planned=doc, participants=people, tags=tags, first=number,
            pages=rendered.pages, pdf_name=pdf_name, pdf_sha256=pdf_sha, text_name=text_name,
            text_sha256=text_sha, native_name=native, same_pages=rendered.same_pages,
        ))
        controls[doc.item_id] = control
        number += rendered.pages
    if progress:
        progress("render", len(plan.docs), len(plan.docs))
    return staged
