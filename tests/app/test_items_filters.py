"""Item lists filtered by tag, status and correspondent, and sorted: the service and GET /api/items."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app import items, tags
from app.archive import Archive, open_archive
from app.config import Settings
from app.errors import ClientNotFound, InvalidInput
from app.ingesting import ingest_paths
from app.main import create_app
from app.schemas import ItemPublic
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[str, int]]]:
    """Northwind's mail and calls, one unreadable PDF, and two emails tagged ``key``."""
    root = tmp_path_factory.mktemp("item-filters")
    broken = root / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a PDF\n")
    settings = Settings(data=root / "data", actor="tester", timezone="Europe/London")
    archive = open_archive(settings)
    try:
        northwind = SAMPLES / "northwind"
        ingest_paths(archive, paths=[northwind / "mail", northwind / "calls", broken], client="northwind")
        emails = items.list_items(archive, client="northwind", kind="email", limit=1000).items
        ids = {"first_email": emails[0].id, "last_email": emails[-1].id}
        for item_id in ids.values():
            tags.tag_item(archive, item_id=item_id, tag="key")
        ids["broken"] = next(i.id for i in items.list_items(archive, limit=1000).items
                             if i.original_filename == "broken.pdf")
    finally:
        archive.close()
    yield settings, ids


@pytest.fixture
def archive(loaded: tuple[Settings, dict[str, int]]) -> Iterator[Archive]:
    opened = open_archive(loaded[0])
    yield opened
    opened.close()


def _all(archive: Archive, **filters: object) -> list[ItemPublic]:
    return items.list_items(archive, client="northwind", limit=1000, **filters).items  # type: ignore[arg-type]


def test_tag_filter_lists_only_the_tagged_items(archive: Archive, loaded: tuple[Settings, dict[str, int]]) -> None:
    ids = loaded[1]
    tagged = items.list_items(archive, client="northwind", tag="key")
    assert tagged.total == 2
    assert {i.id for i in tagged.items} == {ids["first_email"], ids["last_email"]}
    assert items.list_items(archive, client="northwind", tag="KEY ").total == 2  # as a person types it
    assert items.list_items(archive, client="northwind", tag="never-used").total == 0


def test_status_filter(archive: Archive, loaded: tuple[Settings, dict[str, int]]) -> None:
    failed = items.list_items(archive, client="northwind", status="failed")
    assert [i.id for i in failed.items] == [loaded[1]["broken"]]
    assert failed.items[0].error
    ok = items.list_items(archive, client="northwind", status="ok", limit=1000)
    assert ok.total == len(_all(archive)) - 1 and all(i.status == "ok" for i in ok.items)


def test_correspondent_matches_part_of_an_address_or_a_name(archive: Archive) -> None:
    by_address = _all(archive, correspondent="greg.thornton@")
    assert by_address and all(
        any("greg.thornton@" in p.address for p in i.participants) for i in by_address
    )
    by_name = _all(archive, correspondent="Thornton")  # the display name, any case
    assert {i.id for i in by_name} >= {i.id for i in by_address}
    assert all(any("thornton" in (p.address + p.name).lower() for p in i.participants) for i in by_name)
    # LIKE wildcards a person types are literal characters, not patterns
    assert _all(archive, correspondent="%") == []
    assert _all(archive, correspondent="_") == []


def test_sorting_by_each_key_both_ways(archive: Archive) -> None:
    by_title = [i.title.lower() for i in _all(archive, sort="title")]
    assert by_title == sorted(by_title)
    assert [i.title.lower() for i in _all(archive, sort="title", descending=True)] == sorted(by_title, reverse=True)
    kinds = [i.kind for i in _all(archive, sort="kind")]
    assert kinds == sorted(kinds)
    ingested = [i.ingested_at for i in _all(archive, sort="ingested", descending=True)]
    assert ingested == sorted(ingested, reverse=True)
    newest_first = _all(archive, descending=True)
    dated = [i.occurred_at for i in newest_first if i.occurred_at is not None]
    assert dated == sorted(dated, reverse=True)
    # undated items stay last, whichever way the dates run
    assert newest_first[-1].occurred_at is None and _all(archive)[-1].occurred_at is None


def test_filters_combine_with_paging(archive: Archive) -> None:
    emails = _all(archive, kind="email", correspondent="greg")
    page = items.list_items(archive, client="northwind", kind="email", correspondent="greg", limit=5, offset=5)
    assert page.total == len(emails)
    assert [i.id for i in page.items] == [i.id for i in emails[5:10]]


@pytest.mark.parametrize(("filters", "message"), [
    ({"status": "lost"}, "unknown status 'lost' (one of: ok, partial, failed, pending, processing)"),
    ({"sort": "colour"}, "unknown sort 'colour' (one of: date, title, kind, ingested)"),
    ({"tag": "Not A Tag!"}, "'Not A Tag!' is not a valid tag"),
    ({"correspondent": "x" * 201}, "a correspondent is at most 200 characters"),
])
def test_unknown_values_are_refused_clearly(archive: Archive, filters: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        items.list_items(archive, client="northwind", **filters)  # type: ignore[arg-type]
    assert message in str(refused.value)


def test_a_range_that_ends_before_it_starts_is_refused(archive: Archive) -> None:
    from datetime import date

    with pytest.raises(InvalidInput, match="before the 'from' date"):
        items.list_items(archive, date_from=date(2024, 6, 1), date_to=date(2024, 5, 1))
    with pytest.raises(ClientNotFound):
        items.list_items(archive, client="nobody", tag="key")


def test_listing_options_name_the_client_its_tags_and_correspondents(archive: Archive) -> None:
    options = items.listing_options(archive, client="northwind")
    assert options.client == "northwind" and options.client_name == "Northwind"
    assert options.tags == ("key",)
    assert options.correspondents[0] == "dana@whitfield-digital.example"  # on the most items
    assert "greg.thornton@northwind-retail.example" in options.correspondents and "" not in options.correspondents


@pytest.fixture(scope="module")
def api(loaded: tuple[Settings, dict[str, int]]) -> Iterator[TestClient]:
    with TestClient(create_app(loaded[0])) as client:
        yield client


def test_the_api_takes_the_same_filters(api: TestClient, loaded: tuple[Settings, dict[str, int]]) -> None:
    ids = loaded[1]
    tagged = api.get("/api/items", params={"client": "northwind", "tag": "key", "sort": "date", "descending": "true"})
    assert tagged.status_code == 200
    assert [i["id"] for i in tagged.json()["items"]] == [ids["last_email"], ids["first_email"]]
    failed = api.get("/api/items", params={"status": "failed"}).json()
    assert [i["id"] for i in failed["items"]] == [ids["broken"]]
    greg = api.get("/api/items", params={"correspondent": "greg", "sort": "title", "limit": 1000}).json()
    titles = [i["title"].lower() for i in greg["items"]]
    assert greg["total"] > 0 and titles == sorted(titles)


@pytest.mark.parametrize(("params", "detail"), [
    ({"status": "lost"}, "unknown status 'lost'"),
    ({"sort": "colour"}, "unknown sort 'colour'"),
    ({"tag": "a tag"}, "'a tag' is not a valid tag"),
])
def test_the_api_answers_unknown_values_with_422(api: TestClient, params: dict[str, str], detail: str) -> None:
    response = api.get("/api/items", params=params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)


def test_existing_callers_still_get_date_order(archive: Archive) -> None:
    listing = items.list_items(archive, client="northwind", kind="email", limit=1000)
    dates = [i.occurred_at for i in listing.items if i.occurred_at]
    assert dates == sorted(dates) and listing.total == len(listing.items)
