"""Uploads: multipart files streamed into the blob store, then read by a background job.

Each file part goes straight into a blob writer that hashes it as it arrives
(app.api.streamed): a file is never held whole in memory nor copied to a temporary
upload folder first, and ``CASEFILE_MAX_UPLOAD_BYTES`` is enforced on the bytes as they
come. Each file is recorded (app.uploads) the moment it is whole, so a connection that
breaks after three of five files keeps three.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from ..access import Principal, PrincipalDep, writes
from ..archive import Archive
from ..blobs import BlobWriter
from ..errors import ClientNotFound, InvalidInput, UploadTooLarge
from ..uploads import UploadResult, UploadTarget, record_received, upload_target
from .deps import ArchiveDep
from .streamed import FileSink, read_multipart

router = APIRouter(tags=["uploads"])


class UploadResponse(BaseModel):
    """One line per file received, in the order they arrived."""

    files: list[UploadResult]


def _store(
    archive: Archive, writer: BlobWriter, name: str, target: UploadTarget, actor: str | None
) -> UploadResult:
    return record_received(archive, blob=writer.finish(), sent_name=name, target=target, actor=actor)


def _target(principal: Principal, client: str | None) -> UploadTarget:
    """Where the files go: a token for some clients' matters names none outside them."""
    target = upload_target(client=client)
    if target.client is not None and not principal.sees(target.client):
        raise ClientNotFound(target.client)
    return target


def _check_routed(principal: Principal, target: UploadTarget) -> None:
    """Routing by correspondents could land anywhere: a limited token says which of its clients."""
    if principal.is_lawyer and target.client is None:
        raise InvalidInput("this access is limited to some clients' matters: say which client the files are for")


@router.post(
    "/uploads", response_model=UploadResponse, status_code=202,
    responses={413: {"description": "a file is over CASEFILE_MAX_UPLOAD_BYTES; `files` lists those kept"}},
)
@writes
async def upload(
    request: Request,
    archive: ArchiveDep,
    principal: PrincipalDep,
    client: Annotated[str | None, Query(description="client slug; empty: route by correspondents")] = None,
) -> Any:
    """Receives files (multipart/form-data, any field name, several per request) as evidence.

    Each file is stored and recorded as received as soon as its bytes are in, then read
    by a background job: poll ``GET /api/jobs/{job_id}``. A ``client`` query parameter,
    or a ``client`` form field sent before the files, chooses the client; without one,
    mail is routed by its correspondents. A duplicate of a stored file is recorded as
    received again and named (``duplicate_of``); no job is made for it.
    """
    target = _target(principal, client)
    results: list[UploadResult] = []

    def on_field(name: str, value: str) -> None:
        nonlocal target
        if name == "client":  # the client picked on a form applies to the files after it
            target = _target(principal, value)

    def open_sink(_field: str, _filename: str) -> FileSink:
        _check_routed(principal, target)  # before a byte is stored
        return archive.blobs.writer()

    async def on_file(sink: FileSink, filename: str) -> None:
        assert isinstance(sink, BlobWriter)
        results.append(await run_in_threadpool(_store, archive, sink, filename, target, None))

    try:
        await read_multipart(
            request, limit=archive.settings.max_upload_bytes, open_sink=open_sink, on_file=on_file,
            on_field=on_field,
        )
    except UploadTooLarge as exc:
        return JSONResponse(
            {"detail": f"{exc}; it was not stored", "files": [r.model_dump(mode="json") for r in results]},
            status_code=413,
        )
    except ClientDisconnect:
        # the browser went away: what arrived whole is kept (and will be read)
        return JSONResponse({"detail": "the upload was interrupted"}, status_code=400)
    if not results:
        raise InvalidInput("no file in the upload")
    return UploadResponse(files=results)
