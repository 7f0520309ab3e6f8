"""Exporting a client's evidence as one dated, Bates-numbered, self-verifying zip.

Steps: plan (which items, in what order) → stage (render and number every document into
a scratch folder) → describe (index, load files, timeline, custody, README, SHA256SUMS)
→ pack (a deterministic zip, written aside and renamed) → record (a custody entry
naming the bundle's hashes). Exporting the same selection twice on the same day gives
byte-identical zips, so the bundle's own SHA-256 means something.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..archive import Archive
from ..clients import validate_slug
from ..drills import drill
from ..errors import CasefileError, IntegrityProblem, InvalidInput
from ..leftovers import noting_output
from .describe import bates, iso_date, people
from .index import concordance_dat, index_csv, index_json, opticon_opt
from .manifest import EXPORT_ACTION, ReadmeFacts, custody_json, export_records, ledger_head, readme_text, sha256sums
from .proofs import checkpoint_members
from .schemas import BundleSummary, SelectionPublic
from .selection import Plan, plan_documents
from .staging import Progress, StagedDoc, stage_documents
from .zipout import CHUNK, BundleZip, atomic_output, remove_dead_leftovers, staging_folder, zip_timestamp

__all__ = ["default_filename", "export_bundle", "validate_prefix"]

_PREFIX = re.compile(r"^[A-Z0-9]{1,10}$")


def validate_prefix(prefix: str | None, client: str) -> str:
    """The Bates prefix: as given (A-Z, 0-9, at most 10), else the client's first 3 letters."""
    if prefix is None:
        return (re.sub(r"[^a-z0-9]", "", client.lower()).upper()[:3]) or "DOC"
    if not _PREFIX.match(prefix):
        raise InvalidInput(f"'{prefix}' is not a usable Bates prefix: use 1-10 capital letters or digits")
    return prefix


def default_filename(client: str, as_of: date) -> str:
    """``{client}-evidence-{YYYY-MM-DD}.zip``."""
    return f"{client}-evidence-{as_of.isoformat()}.zip"


def _destination(archive: Archive, out: Path, client: str, as_of: date, overwrite: bool) -> Path:
    target = out / default_filename(client, as_of) if out.is_dir() else out
    if not target.parent.is_dir():
        raise InvalidInput(f"folder {target.parent} does not exist")
    remove_dead_leftovers(target)
    # our own earlier bundle there may be made again (identical bytes: see _record_unless_replacing)
    if target.exists() and not overwrite and not _recorded_bundle(archive, target):
        raise InvalidInput(f"{target} already exists; choose another --out or pass --force")
    return target


def _recorded_bundle(archive: Archive, path: Path) -> bool:
    """Whether ``path`` is a bundle this archive exported under that name (its hash is on record)."""
    if not path.is_file():
        return False
    return bool(export_records(archive, _file_sha256(path)))


@dataclass
class _Member:
    name: str
    sha256: str
    data: bytes | None = None  # small files built in memory
    staged: Path | None = None  # rendered PDFs and texts
    blob: str | None = None  # natives: streamed from the blob store
    size: int = 0


def _index_rows(staged: list[StagedDoc], prefix: str) -> list[dict[str, Any]]:
    ranges: dict[int, tuple[int, int]] = {}
    for doc in staged:
        low, high = ranges.get(doc.planned.family, (doc.first, doc.last))
        ranges[doc.planned.family] = (min(low, doc.first), max(high, doc.last))
    sizes: dict[int, int] = {}
    for doc in staged:
        sizes[doc.planned.family] = sizes.get(doc.planned.family, 0) + 1
    rows = []
    for doc in staged:
        item, family = doc.item, doc.planned.family
        # BegAttach/EndAttach mark families; a document on its own leaves them empty.
        beg_attach, end_attach = ranges[family] if sizes[family] > 1 else (None, None)
        rows.append({
            "BegBates": bates(prefix, doc.first), "EndBates": bates(prefix, doc.last),
            "BegAttach": bates(prefix, beg_attach) if beg_attach else "",
            "EndAttach": bates(prefix, end_attach) if end_attach else "",
            "ControlNumber": bates(prefix, doc.first), "ItemId": item.id, "Kind": item.kind,
            "Date": iso_date(item), "DateSource": item.date_source if item.occurred_at_utc else "",
            "From": people(doc.participants, "from"), "To": people(doc.participants, "to"),
            "Cc": people(doc.participants, "cc"), "Title": item.title,
            "OriginalFilename": item.original_filename or "", "SHA256": item.sha256 or "",
            "NativePath": doc.native_name or "", "TextPath": doc.text_name or "",
            "PdfPath": doc.pdf_name, "PageCount": doc.pages, "Tags": "; ".join(doc.tags),
            "Status": item.status,
        })
    return rows


def _evidence_span(staged: list[StagedDoc]) -> tuple[str, str]:
    dated = sorted(d.item.occurred_at_utc for d in staged if d.item.occurred_at_utc is not None)
    if not dated:
        return "(undated)", "(undated)"
    return dated[0].date().isoformat(), dated[-1].date().isoformat()


def _timeline(
    archive: Archive, selection: SelectionPublic, staged: list[StagedDoc], prefix: str, as_of: date
) -> tuple[dict[str, bytes], str | None]:
    try:
        from ..timeline import build_timeline, render_csv, render_html
    except ImportError as exc:  # the timeline package is optional for a bundle
        return {}, f"timeline.html and timeline.csv (the timeline could not be built: {exc})"
    by_item = {d.item.id: d for d in staged}

    def cite(entry: Any) -> str:
        doc = by_item.get(entry.item_id)
        if doc is None:
            return "not in this bundle"
        page = getattr(entry.source, "page", None)
        if doc.same_pages and isinstance(page, int) and 1 <= page <= doc.pages:
            return bates(prefix, doc.first + page - 1)
        return bates(prefix, doc.first)

    # The clock is the bundle date, not now(), so the same export gives the same bytes.
    clock = datetime.combine(as_of, time(), tzinfo=ZoneInfo(archive.settings.timezone))
    try:
        timeline = build_timeline(
            archive, client=selection.client, date_from=selection.date_from, date_to=selection.date_to,
            tags=[selection.tag] if selection.tag else None, now=clock,
        )
    except CasefileError as exc:  # the evidence still goes out; the README says what is missing
        return {}, f"timeline.html and timeline.csv ({exc})"
    files = {"timeline.csv": render_csv(timeline, cite=cite), "timeline.html": render_html(timeline, cite=cite)}
    return {k: v.encode("utf-8") if isinstance(v, str) else v for k, v in files.items()}, None


def _pack(destination: Path, members: list[_Member], timestamp: tuple[int, ...], archive: Archive,
          progress: Progress | None, record: Callable[[str], None]) -> str:
    """Writes the zip aside, hashes it, ``record(sha256)``s it, and only then gives it its name.

    So a bundle at ``destination`` is always complete and on record; a kill before the
    rename leaves a partial file that the next export to the same place removes.
    """
    with atomic_output(destination) as fh:
        bundle = BundleZip(fh, timestamp=timestamp)  # type: ignore[arg-type]
        try:
            _write_members(bundle, members, archive, progress)
        except BaseException:
            bundle.abandon()
            raise
        bundle.close()
        fh.flush()
        fh.seek(0)
        digest = hashlib.sha256()
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
        zip_sha = digest.hexdigest()
        record(zip_sha)
        drill("export-recorded")
    return zip_sha


def _write_members(bundle: BundleZip, members: list[_Member], archive: Archive, progress: Progress | None) -> None:
    natives = sum(1 for m in members if m.blob)
    done = 0
    for member in sorted(members, key=lambda m: m.name):
        if member.data is not None:
            bundle.add_bytes(member.name, member.data)
        elif member.staged is not None:
            bundle.add_file(member.name, member.staged)
        else:
            assert member.blob is not None
            if progress and done == 0:
                progress("natives", 0, natives)
            try:
                source = archive.blobs.open(member.blob)
            except FileNotFoundError:
                raise IntegrityProblem(
                    f"the original for {member.name} is missing from the archive; run 'casefile verify-archive'"
                ) from None
            with source:
                bundle.add_stream(member.name, source, size=member.size, expect_sha256=member.blob)
            done += 1
            if progress and done == natives:
                progress("natives", done, natives)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def export_bundle(
    archive: Archive,
    *,
    client: str,
    out: Path,
    date_from: date | None = None,
    date_to: date | None = None,
    tag: str | None = None,
    query: str | None = None,
    prefix: str | None = None,
    as_of: date | None = None,
    overwrite: bool = False,
    actor: str | None = None,
    progress: Progress | None = None,
) -> BundleSummary:
    """Writes the client's evidence bundle to ``out`` (a file, or a folder for the default name)."""
    selection = SelectionPublic(client=client, date_from=date_from, date_to=date_to, tag=tag,
                                query=query.strip() if query and query.strip() else None)
    validate_slug(client)  # it becomes part of the file name
    prefix = validate_prefix(prefix, client)
    as_of = as_of or datetime.now(ZoneInfo(archive.settings.timezone)).date()
    plan = plan_documents(archive, selection=selection)
    if not plan.docs:
        raise InvalidInput(f"no items of client '{client}' match the selection; nothing to export")
    destination = _destination(archive, out, client, as_of, overwrite)
    with noting_output(archive.settings.data, destination), staging_folder(destination) as tmp:
        staged = stage_documents(archive, plan=plan, prefix=prefix, folder=Path(tmp), progress=progress)
        members, facts = _describe(
            archive, plan, staged, Path(tmp), selection, prefix, as_of, destination.name, actor
        )
        sums = sha256sums((m.name, m.sha256) for m in members)
        sums_sha = hashlib.sha256(sums).hexdigest()
        members.append(_Member("SHA256SUMS", sums_sha, data=sums))
        zip_sha = _pack(
            destination, members, zip_timestamp(plan.newest_ingest), archive, progress,
            record=lambda sha: _record_unless_replacing(
                archive, actor, selection, destination, sha, sums_sha, facts, overwrite
            ),
        )
    return BundleSummary(
        path=str(destination), filename=destination.name, sha256=zip_sha,
        sums_sha256=sums_sha, bytes=destination.stat().st_size,
        client=client, prefix=prefix, documents=facts.documents, natives=facts.natives,
        pages=facts.pages, first_bates=facts.first_bates, last_bates=facts.last_bates,
        selection=selection, included=list(facts.parts), missing=list(facts.missing),
    )


def _describe(
    archive: Archive, plan: Plan, staged: list[StagedDoc], folder: Path, selection: SelectionPublic,
    prefix: str, as_of: date, filename: str, actor: str | None,
) -> tuple[list[_Member], ReadmeFacts]:
    """Every member but SHA256SUMS: staged parts, natives, and the files that describe them."""
    members: list[_Member] = []
    for doc in staged:
        members.append(_Member(doc.pdf_name, doc.pdf_sha256, staged=folder / doc.pdf_name))
        if doc.text_name and doc.text_sha256:
            members.append(_Member(doc.text_name, doc.text_sha256, staged=folder / doc.text_name))
        if doc.native_name and doc.item.sha256:
            members.append(_Member(doc.native_name, doc.item.sha256, blob=doc.item.sha256, size=doc.item.size or 0))
    rows = _index_rows(staged, prefix)
    first, last = rows[0]["BegBates"], rows[-1]["EndBates"]
    timeline, timeline_missing = _timeline(archive, selection, staged, prefix, as_of)
    earliest, newest = _evidence_span(staged)
    facts = ReadmeFacts(
        client_name=plan.client_name, client_slug=plan.client_slug, filename=filename,
        prepared_by=actor or archive.settings.actor, as_of=as_of, selection=selection, prefix=prefix,
        documents=len(staged), families=sum(1 for r in rows if r["BegAttach"] and r["BegAttach"] == r["BegBates"]),
        containers=sum(1 for d in staged if d.planned.container),
        natives=sum(1 for d in staged if d.native_name), pages=sum(d.pages for d in staged),
        first_bates=first, last_bates=last, earliest_evidence=earliest, newest_evidence=newest,
        parts=tuple(sorted(timeline)), missing=(timeline_missing,) if timeline_missing else (),
    )
    bundle_facts = {
        "client": plan.client_slug, "client_name": plan.client_name, "prepared_by": facts.prepared_by,
        "bundle_date": as_of.isoformat(), "selection": selection.model_dump(mode="json"), "prefix": prefix,
        "documents": facts.documents, "pages": facts.pages, "first_bates": first, "last_bates": last,
    }
    small = {
        "index.csv": index_csv(rows),
        "index.json": index_json(bundle_facts, rows),
        f"loadfiles/{prefix}.dat": concordance_dat(rows),
        f"loadfiles/{prefix}.opt": opticon_opt(rows, volume=f"{prefix}001", prefix=prefix),
        "custody.json": custody_json(
            archive, client=plan.client_slug,
            documents=[(bates(prefix, d.first), d.item.id) for d in staged],  # type: ignore[misc]
            head=ledger_head(archive),
        ),
        "README.txt": readme_text(facts),
        **timeline,
        **checkpoint_members(archive, [d.item.id for d in staged]),  # type: ignore[misc]
    }
    members += [_Member(name, hashlib.sha256(data).hexdigest(), data=data) for name, data in small.items()]
    return members, facts


def _record_unless_replacing(
    archive: Archive, actor: str | None, selection: SelectionPublic, destination: Path, zip_sha: str,
    sums_sha: str, facts: ReadmeFacts, overwrite: bool,
) -> None:
    """Records the bundle; refused (before anything is recorded) if it would replace a different file.

    Exporting the same selection to the same place again (a re-run after a kill) makes the
    same bytes and needs no ``--force``; a different bundle there is only replaced when asked.
    """
    if destination.exists() and not overwrite and _file_sha256(destination) != zip_sha:
        raise InvalidInput(f"{destination} already exists with other contents; choose another --out or pass --force")
    _record(archive, actor, selection, destination, zip_sha, sums_sha, facts)


def _record(archive: Archive, actor: str | None, selection: SelectionPublic, destination: Path,
            zip_sha: str, sums_sha: str, facts: ReadmeFacts) -> None:
    with archive.write(actor) as uow:
        uow.ledger.append(
            actor=uow.actor, action=EXPORT_ACTION, item_id=None,
            details={
                "client": selection.client, "selection": selection.model_dump(mode="json"),
                "file": destination.name, "zip_sha256": zip_sha, "sha256sums_sha256": sums_sha,
                "items": facts.documents, "pages": facts.pages,
                "bates": [facts.first_bates, facts.last_bates],
            },
        )
