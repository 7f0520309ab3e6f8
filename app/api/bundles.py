"""Evidence bundles: build one for a client, then download it by its id."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from ..bundle import BundlePublic
from ..bundle.published import bundle_file, publish_bundle
from .deps import ArchiveDep

router = APIRouter(tags=["bundles"])


class BundleRequest(BaseModel):
    """Which of the client's items go in the bundle (all of them when empty)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    tag: str | None = None
    query: str | None = None
    prefix: str | None = Field(default=None, description="Bates prefix, 1-10 of A-Z and 0-9")


@router.post("/clients/{slug}/bundles", response_model=BundlePublic, status_code=201)
def create_bundle(archive: ArchiveDep, slug: str, body: BundleRequest | None = None) -> BundlePublic:
    """Builds the client's bundle now; download it from ``download_url``."""
    body = body or BundleRequest()
    summary = publish_bundle(
        archive, client=slug, date_from=body.date_from, date_to=body.date_to, tag=body.tag,
        query=body.query, prefix=body.prefix,
    )
    return BundlePublic(
        id=summary.sha256, filename=summary.filename, sha256=summary.sha256,
        documents=summary.documents, pages=summary.pages, download_url=f"/api/bundles/{summary.sha256}",
    )


@router.get("/bundles/{bundle_id}", response_class=FileResponse)
def download_bundle(archive: ArchiveDep, bundle_id: str) -> FileResponse:
    """The bundle's zip, as an attachment."""
    path = bundle_file(archive, bundle_id=bundle_id)
    return FileResponse(
        path, media_type="application/zip", filename=path.name, content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )
