"""Pages: export a client's bundle (with progress, then download), list past bundles, verify.

Long work runs as a job. Submitting a form starts it and redirects to the page with
``?job=N`` (so a reload never starts a second one); the job's status is a small HTML
fragment that htmx re-fetches every second until the job ends, and that a plain
reload shows too.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import items
from ..access import PrincipalDep, exports, reads, writes
from ..api.bundles import check_uploaded_bundle
from ..api.deps import ArchiveDep
from ..archive import Archive
from ..bundle import BundleCheck
from ..bundle.history import list_bundles
from ..bundle.jobs import EXPORT_KIND, VERIFY_ARCHIVE_KIND, request_export, request_verify_archive
from ..errors import CasefileError, InvalidInput, NotFound, UploadTooLarge
from ..jobs import JobPublic, get_job
from .forms import blank_none, optional_day
from .templating import page

router = APIRouter(include_in_schema=False)

_FIELDS = ("client", "from", "to", "tag", "query", "prefix")


def _job(archive: Archive, job_id: int | None, kind: str) -> JobPublic | None:
    if job_id is None:
        return None
    job = get_job(archive, job_id=job_id)
    if job.kind != kind:
        raise NotFound(f"no {kind} job with id {job_id}")
    return job


def _export_page(
    request: Request, archive: Archive, *, form: dict[str, str], within: Collection[str] | None,
    job: JobPublic | None = None, problem: str | None = None, status_code: int = 200,
) -> HTMLResponse:
    # a lawyer picks among, and sees the past bundles of, their own clients only
    context: dict[str, Any] = {
        "clients": items.list_clients(archive, within=within), "form": form, "job": job, "problem": problem,
        "bundles": list_bundles(archive, within=within),
    }
    return page(request, "export.html", context, status_code=status_code)


@router.get("/export", response_class=HTMLResponse)
@reads()
def export_page(
    request: Request, archive: ArchiveDep, principal: PrincipalDep, client: str = "", job: int | None = None
) -> HTMLResponse:
    """The export form (client preselected from ``?client=``), a running export, past bundles."""
    form = dict.fromkeys(_FIELDS, "")
    found = _job(archive, job, EXPORT_KIND)
    if found is not None:
        form.update({k: str(v) for k, v in found.params.items() if k in _FIELDS and v})
    form["client"] = client or form["client"]
    return _export_page(request, archive, form=form, job=found, within=principal.within())


@router.post("/export", response_class=HTMLResponse)
@exports
def start_export(
    request: Request,
    archive: ArchiveDep,
    principal: PrincipalDep,
    client: Annotated[str, Form()] = "",
    date_from: Annotated[str, Form(alias="from")] = "",
    date_to: Annotated[str, Form(alias="to")] = "",
    tag: Annotated[str, Form()] = "",
    query: Annotated[str, Form()] = "",
    prefix: Annotated[str, Form()] = "",
) -> Response:
    """Starts the export job and shows its progress; a selection that cannot work is shown at once."""
    form = {"client": client, "from": date_from, "to": date_to, "tag": tag, "query": query, "prefix": prefix}
    try:
        if not client.strip():
            raise InvalidInput("choose a client to export")
        job = request_export(
            archive, client=client.strip(), date_from=optional_day(date_from, "From"),
            date_to=optional_day(date_to, "To"), tag=blank_none(tag), query=blank_none(query),
            prefix=(blank_none(prefix) or "").upper() or None,
        )
    except (InvalidInput, NotFound) as exc:  # what a person picked or typed: say so on the form
        return _export_page(request, archive, form=form, problem=str(exc), status_code=422, within=principal.within())
    return RedirectResponse(f"/export?job={job.id}", status_code=303)


@router.get("/export/jobs/{job_id}", response_class=HTMLResponse)
@reads()
def export_job_fragment(request: Request, archive: ArchiveDep, job_id: int) -> HTMLResponse:
    """The export's status, for htmx to poll; tells the bundle list to refresh once it is done."""
    job = _job(archive, job_id, EXPORT_KIND)
    response = page(request, "_bundle_job.html", {"job": job})
    if job is not None and job.state == "done":
        response.headers["HX-Trigger"] = "bundle-ready"
    return response


@router.get("/export/bundles", response_class=HTMLResponse)
@reads()
def past_bundles_fragment(request: Request, archive: ArchiveDep, principal: PrincipalDep) -> HTMLResponse:
    """The list of past bundles alone (refreshed when an export finishes)."""
    return page(request, "_past_bundles.html", {"bundles": list_bundles(archive, within=principal.within())})


def _verify_page(
    request: Request, *, job: JobPublic | None = None, check: BundleCheck | None = None, problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"job": job, "check": check, "problem": problem}
    return page(request, "verify.html", context, status_code=status_code)


@router.get("/verify", response_class=HTMLResponse)
@reads()
def verify_page(request: Request, archive: ArchiveDep, job: int | None = None) -> HTMLResponse:
    """Check a bundle by uploading it, or check the whole archive (a job)."""
    return _verify_page(request, job=_job(archive, job, VERIFY_ARCHIVE_KIND))


@router.post("/verify/bundle", response_class=HTMLResponse)
@reads()
async def verify_bundle_upload(request: Request, archive: ArchiveDep) -> HTMLResponse:
    """Verifies the uploaded bundle and shows the verdict: intact, or each problem found."""
    try:
        check = await check_uploaded_bundle(request, archive)
    except UploadTooLarge as exc:
        return _verify_page(request, problem=str(exc), status_code=413)
    except CasefileError as exc:
        return _verify_page(request, problem=str(exc), status_code=422)
    return _verify_page(request, check=check)


@router.post("/verify/archive", response_class=HTMLResponse)
@writes
def start_verify_archive(archive: ArchiveDep) -> Response:
    """Starts the archive check and shows its progress."""
    job = request_verify_archive(archive)
    return RedirectResponse(f"/verify?job={job.id}", status_code=303)


@router.get("/verify/jobs/{job_id}", response_class=HTMLResponse)
@reads()
def verify_job_fragment(request: Request, archive: ArchiveDep, job_id: int) -> HTMLResponse:
    """The archive check's status, for htmx to poll."""
    return page(request, "_bundle_job.html", {"job": _job(archive, job_id, VERIFY_ARCHIVE_KIND)})
