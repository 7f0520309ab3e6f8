"""Page previews: PDF and image pages drawn to PNG on the server, within limits, cached."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

from app import preview
from app.archive import Archive, open_archive
from app.config import Settings
from app.errors import InvalidInput, NotFound
from app.ingesting import ingest_paths
from app.items import list_items
from app.main import create_app
from tests.conftest import SAMPLES

SOW = SAMPLES / "northwind" / "contracts" / "statement-of-work.pdf"
MAIL = SAMPLES / "northwind" / "mail" / "greg-staging-feedback.eml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _ingest(archive: Archive, *paths: Path) -> dict[str, int]:
    ingest_paths(archive, paths=list(paths), client="northwind")
    return {i.original_filename or i.title: i.id for i in list_items(archive, limit=1000).items}


def _png(data: bytes) -> Image.Image:
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def _scan_page(colour: str, label: str) -> Image.Image:
    image = Image.new("RGB", (1200, 1600), colour)
    ImageDraw.Draw(image).text((100, 100), label, fill="black")
    return image


@pytest.fixture
def tiff(tmp_path: Path) -> Path:
    """A three-page scanner TIFF whose pages can be told apart by their background colour."""
    frames = [_scan_page("white", "one"), _scan_page("red", "two"), _scan_page("blue", "three")]
    path = tmp_path / "scans" / "batch.tiff"
    path.parent.mkdir()
    frames[0].save(path, format="TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300))
    return path


def test_a_pdf_page_is_drawn_as_a_png_of_the_asked_width(archive: Archive) -> None:
    ids = _ingest(archive, SOW)
    image = _png(preview.render_page(archive, item_id=ids[SOW.name], page=2, width=600))
    assert image.width == 600
    assert 1.3 < image.height / image.width < 1.5  # an A4 page, upright
    grey = image.convert("L")
    assert grey.getpixel((5, 5)) > 240  # paper
    assert grey.getextrema()[0] < 80  # and ink on it


def test_a_rendered_page_is_cached_by_hash_page_and_width(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _ingest(archive, SOW)
    first = preview.render_page(archive, item_id=ids[SOW.name], page=1, width=400)
    (cached,) = preview.cache_dir(archive).glob("*.png")
    sha256 = list_items(archive).items[0].sha256
    assert cached.name == f"{sha256}-1-400.png" and cached.read_bytes() == first

    def no_drawing(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("a cached page was drawn again")

    monkeypatch.setattr(preview, "_render_pdf", no_drawing)
    assert preview.render_page(archive, item_id=ids[SOW.name], page=1, width=400) == first
    with pytest.raises(AssertionError, match="drawn again"):  # another width is another picture
        preview.render_page(archive, item_id=ids[SOW.name], page=1, width=500)


def test_each_page_of_a_multi_page_tiff_is_its_own_picture(archive: Archive, tiff: Path) -> None:
    ids = _ingest(archive, tiff)
    item_id = ids["batch.tiff"]
    colours = []
    for page in (1, 2, 3):
        image = _png(preview.render_page(archive, item_id=item_id, page=page, width=300)).convert("RGB")
        assert image.size == (300, 400)
        colours.append(image.getpixel((290, 390)))
    assert colours == [(255, 255, 255), (255, 0, 0), (0, 0, 255)]
    with pytest.raises(NotFound, match="has 3 pages; there is no page 4"):
        preview.render_page(archive, item_id=item_id, page=4)


def test_a_heic_photo_is_drawn_too(archive: Archive, tmp_path: Path) -> None:
    path = tmp_path / "photo.heic"
    _scan_page("green", "receipt").save(path, format="HEIF", quality=90)
    ids = _ingest(archive, path)
    image = _png(preview.render_page(archive, item_id=ids["photo.heic"], page=1, width=240)).convert("RGB")
    assert image.size == (240, 320)
    red, green, blue = image.getpixel((230, 310))
    assert green > 100 and red < 60 and blue < 60


def test_a_small_image_is_not_blown_up(archive: Archive, tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    _scan_page("white", "tiny").resize((300, 400)).save(path)
    ids = _ingest(archive, path)
    assert _png(preview.render_page(archive, item_id=ids["small.png"], page=1, width=900)).size == (300, 400)


def test_the_pixel_limit_bounds_what_is_drawn(settings: Settings, tmp_path: Path) -> None:
    with_room = open_archive(settings)
    ids = _ingest(with_room, SOW, _write(tmp_path / "big.png", _scan_page("white", "big")))
    with_room.close()
    tight = open_archive(settings.model_copy(update={"max_image_pixels": 250_000}))
    try:
        page = _png(preview.render_page(tight, item_id=ids[SOW.name], page=1, width=900))
        assert page.width * page.height <= 250_000  # a PDF page is drawn smaller instead
        with pytest.raises(NotFound, match="over max_image_pixels"):  # an image over it is never decoded
            preview.render_page(tight, item_id=ids["big.png"], page=1)
    finally:
        tight.close()


def _write(path: Path, image: Image.Image) -> Path:
    image.save(path)
    return path


def test_encrypted_and_damaged_pdfs_say_why_there_is_no_preview(archive: Archive, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(SOW))
    writer.encrypt("secret")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    ids = _ingest(archive, locked, damaged)
    with pytest.raises(NotFound, match="password"):
        preview.render_page(archive, item_id=ids["locked.pdf"], page=1)
    with pytest.raises(NotFound, match="not a readable PDF"):
        preview.render_page(archive, item_id=ids["damaged.pdf"], page=1)
    assert not list(preview.cache_dir(archive).glob("*.png"))


def test_emails_have_no_preview_and_widths_and_pages_are_checked(archive: Archive) -> None:
    ids = _ingest(archive, SOW, MAIL)
    email_id = next(i.id for i in list_items(archive, kind="email").items)
    with pytest.raises(NotFound, match=r"\(email\) has no page preview.*its text is shown"):
        preview.render_page(archive, item_id=email_id, page=1)
    with pytest.raises(NotFound, match="no page 0"):
        preview.render_page(archive, item_id=ids[SOW.name], page=0)
    for width in (10, 5000):
        with pytest.raises(InvalidInput, match="100 to 2000 pixels wide"):
            preview.render_page(archive, item_id=ids[SOW.name], page=1, width=width)
    with pytest.raises(NotFound, match="no item with id 9999"):
        preview.render_page(archive, item_id=9999, page=1)


@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, dict[str, int]]]:
    archive = open_archive(settings)
    ids = _ingest(archive, SOW, MAIL)
    ids["email"] = next(i.id for i in list_items(archive, kind="email").items)
    archive.close()
    with TestClient(create_app(settings)) as client:
        yield client, ids


def test_the_preview_endpoint_sends_a_png_that_is_never_sniffed(api: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = api
    response = client.get(f"/api/items/{ids[SOW.name]}/pages/1/preview.png", params={"width": 500})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, max-age=86400"
    assert _png(response.content).width == 500


def test_the_preview_endpoint_explains_missing_previews(api: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = api
    missing = client.get(f"/api/items/{ids[SOW.name]}/pages/3/preview.png")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"item {ids[SOW.name]} has 2 pages; there is no page 3"}
    email = client.get(f"/api/items/{ids['email']}/pages/1/preview.png")
    assert email.status_code == 404 and "has no page preview" in email.json()["detail"]
    too_wide = client.get(f"/api/items/{ids[SOW.name]}/pages/1/preview.png", params={"width": 9000})
    assert too_wide.status_code == 422
