"""Every item as stamped PDF pages, and as plain text.

Which pages an item gets:
  email                  its headers (with the date's source) and body, rendered
  PDF original           its own pages, or the searchable PDF made from a scan
  picture                the searchable PDF made from it, else the picture on a page
  note / docx / text     its text, rendered
  call-log row, event    one page describing it (they have no file of their own)
  container              a slip sheet naming the documents produced from it
  anything unreadable    a slip sheet: file name, SHA-256 and why it could not be shown
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageSequence

from ..archive import Archive
from ..models import Item, ParticipantRow
from .describe import header_fields, human_date, people
from .layout import PageBuilder, Unrenderable, stamp_pdf

__all__ = ["DocContext", "Rendered", "render_pdf", "render_text"]

_PICTURE_EDGE = 2400  # pixels: enough to read a scan on paper, small enough to stay light
_MAX_FRAMES = 50


@dataclass(frozen=True)
class DocContext:
    """What rendering one item needs beyond the item row itself."""

    item: Item
    participants: Sequence[ParticipantRow] = ()
    searchable_sha256: str | None = None
    attachments: Sequence[str] = ()  # names of an email's attachments
    container: bool = False
    members: Sequence[tuple[str, str]] = ()  # (control number, title) of a container's members here
    member_total: int = 0
    foreign_members: int = 0  # members of other clients: the container's native is withheld


@dataclass(frozen=True)
class Rendered:
    data: bytes
    pages: int
    method: str  # pdf | searchable_pdf | email | text | picture | record | slip
    same_pages: bool = False  # page n is page n of the original (citations by page work)
    notes: list[str] = field(default_factory=list)


def render_pdf(archive: Archive, ctx: DocContext, label: Callable[[int], str]) -> Rendered:
    """The item's pages, each stamped ``label(page_index)``; never raises for bad content."""
    item = ctx.item
    if ctx.container:
        return _container(ctx, label)
    if item.status == "failed":
        return _slip(ctx, label, item.error or "it could not be read")
    if item.sha256 is None:
        return _record(ctx, label)
    if item.kind == "email":
        return _email(ctx, label)
    try:
        if ctx.searchable_sha256:
            with archive.blobs.open(ctx.searchable_sha256) as fh:
                data, pages = stamp_pdf(fh, label)
            return Rendered(data, pages, "searchable_pdf", same_pages=True)
        if item.content_type == "application/pdf":
            with archive.blobs.open(item.sha256) as fh:
                data, pages = stamp_pdf(fh, label)
            return Rendered(data, pages, "pdf", same_pages=True)
        if item.content_type.startswith("image/"):
            return _picture(archive, ctx, label)
    except Unrenderable as exc:
        if not item.text.strip():
            return _slip(ctx, label, str(exc))
        return _text(ctx, label, note=f"Shown as extracted text: {exc}.")
    except OSError as exc:
        return _slip(ctx, label, f"the stored file could not be read ({exc.strerror or exc})")
    if item.text.strip():
        note = f"Partly read: {item.error}." if item.status == "partial" and item.error else ""
        return _text(ctx, label, note=note)
    return _slip(ctx, label, item.error or "there is no text or picture to show; see the native file")


def render_text(ctx: DocContext) -> str:
    """The item's extracted text (an email's with its headers); empty when there is none."""
    item = ctx.item
    if item.kind == "email":
        head = "\n".join(f"{label}: {value}" for label, value in header_fields(item, ctx.participants))
        if ctx.attachments:
            head += "\nAttachments: " + "; ".join(ctx.attachments)
        return f"{head}\n\n{item.text}".rstrip() + "\n"
    if item.sha256 is None:
        return "\n".join(_record_lines(ctx)) + "\n"
    if ctx.container or item.status == "failed" or not item.text.strip():
        return ""
    return item.text.rstrip() + "\n"


def _email(ctx: DocContext, label: Callable[[int], str]) -> Rendered:
    page = PageBuilder(label, title=ctx.item.title)
    page.heading(ctx.item.title or "(no subject)")
    for name, value in header_fields(ctx.item, ctx.participants):
        page.field(name, value)
    if ctx.attachments:
        page.field("Attachments", "; ".join(ctx.attachments))
    page.rule()
    page.paragraph(ctx.item.text or "(no body text)")
    data, pages = page.finish()
    return Rendered(data, pages, "email")


def _text(ctx: DocContext, label: Callable[[int], str], *, note: str = "") -> Rendered:
    item = ctx.item
    page = PageBuilder(label, title=item.title)
    page.heading(item.title)
    page.field("File", item.original_filename or "")
    page.field("Date", human_date(item))
    for role in ("from", "to", "attendee", "contact"):
        if value := people(ctx.participants, role):
            page.field(role.capitalize(), value)
    if note:
        page.field("Note", note)
    page.rule()
    page.paragraph(item.text)
    data, pages = page.finish()
    return Rendered(data, pages, "text")


def _record_lines(ctx: DocContext) -> list[str]:
    item = ctx.item
    facts = json.loads(item.facts_json or "{}")
    if item.source_row is not None:
        head = f"Call log row {item.source_row} of {item.original_filename or 'a call log'}"
    else:
        recorded = facts.get("recorded_as", item.kind)
        head = f"{str(recorded).capitalize()} recorded by hand in Casefile (no file of its own)"
    lines = [head, f"What: {item.title}", f"When: {human_date(item)}"]
    lines += [f"{role.capitalize()}: {value}" for role in ("contact", "from", "to")
              if (value := people(ctx.participants, role))]
    if isinstance(facts.get("duration_seconds"), int):
        minutes, seconds = divmod(facts["duration_seconds"], 60)
        lines.append(f"Duration: {minutes} min {seconds} s")
    if item.text.strip():
        lines.append(f"Notes: {item.text.strip()}")
    return lines


def _record(ctx: DocContext, label: Callable[[int], str]) -> Rendered:
    page = PageBuilder(label, title=ctx.item.title)
    first, *rest = _record_lines(ctx)
    page.heading(first)
    for line in rest:
        name, _, value = line.partition(": ")
        page.field(name, value)
    data, pages = page.finish()
    return Rendered(data, pages, "record")


def _picture(archive: Archive, ctx: DocContext, label: Callable[[int], str]) -> Rendered:
    item = ctx.item
    assert item.sha256 is not None
    import ingest.images  # noqa: F401  (registers the HEIC opener with Pillow)

    page = PageBuilder(label, title=item.title)
    try:
        with archive.blobs.open(item.sha256) as fh, Image.open(fh) as image:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if number > _MAX_FRAMES:
                    break
                picture = frame.convert("RGB")
                picture.thumbnail((_PICTURE_EDGE, _PICTURE_EDGE))
                page.picture(picture, f"{item.original_filename or item.title} (frame {number})")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise Unrenderable(f"the picture could not be decoded ({exc})") from exc
    data, pages = page.finish()
    return Rendered(data, pages, "picture")


def _slip(ctx: DocContext, label: Callable[[int], str], reason: str) -> Rendered:
    item = ctx.item
    page = PageBuilder(label, title=item.title)
    page.heading("Produced in native form only")
    page.field("File", item.original_filename or item.title)
    page.field("Title", item.title)
    page.field("SHA-256", item.sha256 or "(no file of its own)")
    page.field("Size", f"{item.size:,} bytes" if item.size is not None else "")
    page.field("Type", item.content_type)
    page.field("Date", human_date(item))
    page.field("Why", f"This file could not be shown as pages: {reason}")
    data, pages = page.finish()
    return Rendered(data, pages, "slip", notes=[reason])


def _container(ctx: DocContext, label: Callable[[int], str]) -> Rendered:
    item = ctx.item
    page = PageBuilder(label, title=item.title)
    page.heading(f"Container: {item.original_filename or item.title}")
    page.field("SHA-256", item.sha256 or "")
    page.field("Size", f"{item.size:,} bytes" if item.size is not None else "")
    page.field("Type", item.content_type)
    page.field("Members", f"{ctx.member_total} in the file; {len(ctx.members)} produced in this bundle")
    if ctx.foreign_members:
        page.field("Native", "withheld from this bundle")
        page.paragraph(
            f"\nThis file holds other documents. Each member is produced as a document of its own "
            f"(native, PDF and text, listed below by control number). The file itself is not "
            f"produced: it also holds {ctx.foreign_members} document(s) of other clients. The "
            f"SHA-256 above identifies the original kept unaltered in the archive."
        )
    else:
        page.paragraph(
            "\nThis file holds other documents. Each member is produced as a document of its own "
            "(native, PDF and text, listed below by control number); this file itself is produced "
            "in native form so its exact original bytes are kept."
        )
    page.rule()
    for control, title in ctx.members:
        page.field(control, title)
    data, pages = page.finish()
    return Rendered(data, pages, "slip")
