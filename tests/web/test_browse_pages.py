"""The site's shell and browse pages through TestClient: clients, a client's items, search, the timeline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import changes, items, tags
from app.archive import Archive, open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.main import create_app
from app.search import search
from app.timeline import build_timeline
from app.web.wording import human_time
from tests.conftest import SAMPLES

ME = ["dana@whitfield-digital.example", "whitfield-digital.example"]
NAV = [("/", "Clients"), ("/upload", "Upload"), ("/search", "Search"), ("/jobs", "Jobs"), ("/export", "Export"),
       ("/verify", "Verify"), ("/docs", "API")]
HOSTILE_SUBJECT = "<script>alert(1)</script>"
HOSTILE_EML = (
    "From: Greg Thornton <greg.thornton@northwind-retail.example>\r\n"
    "To: Dana Whitfield <dana@whitfield-digital.example>\r\n"
    f"Subject: {HOSTILE_SUBJECT}\r\n"
    "Date: Tue, 06 Aug 2024 09:00:00 +0100\r\n"
    "Message-ID: <hostile-1@northwind-retail.example>\r\n"
    "\r\n"
    "quokka <img src=x onerror=alert(2)> about the payment\r\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings]]:
    """sample_docs/northwind, a hostile email written to disk, two items tagged ``key``; served by TestClient."""
    root = tmp_path_factory.mktemp("browse")
    hostile = root / "hostile.eml"
    hostile.write_bytes(HOSTILE_EML.encode())
    settings = Settings(data=root / "data", actor="tester", timezone="Europe/London")
    archive = open_archive(settings)
    try:
        changes.init_archive(archive, me=ME)
        assert ingest_paths(archive, paths=[SAMPLES / "northwind", hostile], client="northwind").ok
        emails = items.list_items(archive, client="northwind", kind="email", limit=1000).items
        for item in (emails[0], emails[5]):
            tags.tag_item(archive, item_id=item.id, tag="key")
    finally:
        archive.close()
    with TestClient(create_app(settings)) as client:
        yield client, settings


@pytest.fixture
def client(site: tuple[TestClient, Settings]) -> TestClient:
    return site[0]


@pytest.fixture
def archive(site: tuple[TestClient, Settings]) -> Iterator[Archive]:
    opened = open_archive(site[1])
    yield opened
    opened.close()


def _row_ids(html: str) -> list[int]:
    """The items listed in a client page's table, in order (the title cell links each one)."""
    return [int(i) for i in re.findall(r'<td data-label="Title"><a href="/items/(\d+)">', html)]


# --- the shell ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/", "/clients/northwind", "/clients/northwind?page=2&kind=email", "/search", "/search?q=payment",
    "/clients/northwind/timeline",
])
def test_every_page_has_the_site_shell(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    html = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<link rel="stylesheet" href="/static/app.css">' in html
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert '<script src="/static/htmx.min.js" defer></script>' in html
    assert '<a class="skip" href="#main">Skip to content</a>' in html and '<main id="main"' in html
    assert "<header" in html and '<nav aria-label="Site">' in html
    for href, label in NAV:
        assert re.search(rf'<a href="{re.escape(href)}"[^>]*>{label}</a>', html), (href, label)
    # the CSP allows scripts from our origin only: no inline script, no inline handler
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<[a-zA-Z][^>]*\son[a-z]+=", html)


def test_the_current_section_is_marked_in_the_navigation(client: TestClient) -> None:
    assert '<a href="/search" aria-current="page">Search</a>' in client.get("/search").text
    clients = client.get("/clients/northwind").text
    assert '<a href="/" aria-current="page">Clients</a>' in clients
    assert '<a href="/search" aria-current="page">' not in clients


def test_static_files_are_served_and_htmx_is_vendored_with_its_version(client: TestClient) -> None:
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "javascript" in htmx.headers["content-type"]
    version = re.search(r'version:"(\d+\.\d+\.\d+)"', htmx.text)
    assert version and version.group(1).startswith("2.")
    vendored = (Path(__file__).resolve().parents[2] / "app" / "web" / "static" / "VENDORED.md").read_text()
    assert f"htmx.org@{version.group(1)}" in vendored and "0BSD" in vendored
    assert "Zero-Clause BSD" in client.get("/static/htmx.LICENSE").text
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content == client.get("/static/favicon.svg").content and b"<svg" in icon.content


def test_the_stylesheet_prints_without_site_furniture_and_scrolls_wide_tables(client: TestClient) -> None:
    css = client.get("/static/app.css").text
    printed = css[css.index("@media print"):]
    assert re.search(r"header\.site, nav,[^{]*form[^{]*\{ display: none", printed)
    assert "details::details-content" in printed  # threads expanded on paper
    assert ".scroll { overflow-x: auto" in css and ":focus-visible" in css


# --- clients ------------------------------------------------------------------------------

def test_clients_page_shows_counts_last_activity_and_open_silences(client: TestClient, archive: Archive) -> None:
    html = client.get("/").text
    northwind = next(c for c in items.list_clients(archive) if c.slug == "northwind")
    dated = [i.occurred_at for i in items.list_items(archive, client="northwind", limit=1000).items
             if i.occurred_at]
    open_silences = sum(s.open for s in build_timeline(archive, client="northwind").silences)
    assert open_silences >= 1
    row = re.search(r'<tr>\s*<th scope="row"><a href="/clients/northwind">Northwind</a></th>(.*?)</tr>', html, re.S)
    assert row, html
    cells = row.group(1)
    assert f'<td class="num" data-label="Items">{northwind.item_count}</td>' in cells
    assert human_time(max(dated)) in cells
    assert f'<a href="/clients/northwind/timeline#silences">{open_silences}</a>' in cells
    assert "/clients/unassigned" not in html  # the empty catch-all is not a client to show


def test_an_empty_archive_points_to_the_upload_page(settings: Settings) -> None:
    with TestClient(create_app(settings)) as fresh:
        response = fresh.get("/")
    assert response.status_code == 200
    assert "No evidence yet" in response.text
    assert '<a class="button" href="/upload">Upload files</a>' in response.text
    assert "casefile ingest" not in response.text


# --- a client's items ---------------------------------------------------------------------

def test_client_page_names_the_client_and_links_its_timeline_and_export(client: TestClient) -> None:
    html = client.get("/clients/northwind").text
    assert "<h1>Northwind</h1>" in html and "<title>Northwind · Casefile</title>" in html
    assert 'href="/clients/northwind/timeline"' in html
    assert 'href="/export?client=northwind"' in html
    # dates for people, with where they came from in words
    assert "from the email header" in html and "email_header" not in html
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} 2024, \d\d:\d\d \(UTC\+0[01]:00\)", html)


@pytest.mark.parametrize(("params", "service"), [
    ({"kind": "email"}, {"kind": "email"}),
    ({"from": "2024-05-01", "to": "2024-06-30"}, {"date_from": "2024-05-01", "date_to": "2024-06-30"}),
    ({"tag": "key"}, {"tag": "key"}),
    ({"status": "ok", "kind": "call"}, {"status": "ok", "kind": "call"}),
    ({"correspondent": "zoe"}, {"correspondent": "zoe"}),
    ({"sort": "title", "order": "desc"}, {"sort": "title", "descending": True}),
    ({"sort": "kind"}, {"sort": "kind"}),
    ({"sort": "ingested", "order": "desc", "kind": "document"}, {"sort": "ingested", "descending": True,
                                                                 "kind": "document"}),
])
def test_filters_and_sorting_list_the_right_items(
    client: TestClient, archive: Archive, params: dict[str, str], service: dict[str, object]
) -> None:
    from datetime import date

    wanted = {k: date.fromisoformat(v) if k.startswith("date_") else v for k, v in service.items()}
    expected = items.list_items(archive, client="northwind", limit=50, **wanted)
    response = client.get("/clients/northwind", params=params)
    assert response.status_code == 200
    assert _row_ids(response.text) == [i.id for i in expected.items]
    assert expected.total > 0
    assert f"of {expected.total} item" in response.text


def test_a_narrower_filter_really_narrows(client: TestClient) -> None:
    everything = _row_ids(client.get("/clients/northwind", params={"sort": "title"}).text)
    tagged = _row_ids(client.get("/clients/northwind", params={"tag": "key"}).text)
    assert len(tagged) == 2 and set(tagged) < set(everything)
    titles_desc = client.get("/clients/northwind", params={"sort": "title", "order": "desc"}).text
    assert _row_ids(titles_desc) != everything[: len(_row_ids(titles_desc))]


def test_the_form_keeps_what_was_chosen(client: TestClient) -> None:
    html = client.get("/clients/northwind", params={
        "kind": "email", "from": "2024-05-01", "to": "2024-07-31", "tag": "key", "status": "ok",
        "correspondent": "greg", "sort": "title", "order": "desc",
    }).text
    assert '<option value="email" selected>' in html
    assert 'name="from" value="2024-05-01"' in html and 'name="to" value="2024-07-31"' in html
    assert '<option value="key" selected>' in html and '<option value="ok" selected>' in html
    assert 'name="correspondent" value="greg"' in html
    assert '<option value="title" selected>' in html and '<option value="desc" selected>' in html
    for field in ("f-kind", "f-from", "f-to", "f-tag", "f-status", "f-correspondent", "f-sort", "f-order"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html


def test_pages_of_fifty_with_previous_and_next(client: TestClient, archive: Archive) -> None:
    total = items.list_items(archive, client="northwind").total
    assert 50 < total <= 100  # the sample: two pages
    first = client.get("/clients/northwind").text
    assert len(_row_ids(first)) == 50
    assert f"Showing 1–50 of {total} items" in first
    assert 'href="/clients/northwind?sort=date&amp;order=asc&amp;page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get("/clients/northwind", params={"page": 2}).text
    assert len(_row_ids(second)) == total - 50
    assert f"Showing 51–{total} of {total} items" in second
    assert 'href="/clients/northwind?sort=date&amp;order=asc&amp;page=1" rel="prev"' in second
    assert 'rel="next"' not in second
    assert not set(_row_ids(first)) & set(_row_ids(second))
    # the filters ride along with the page links
    by_title = client.get("/clients/northwind", params={"sort": "title", "order": "desc", "status": "ok"}).text
    assert 'href="/clients/northwind?status=ok&amp;sort=title&amp;order=desc&amp;page=2" rel="next"' in by_title


@pytest.mark.parametrize(("params", "message"), [
    ({"kind": "fax"}, "unknown kind &#39;fax&#39;"),
    ({"status": "lost"}, "unknown status &#39;lost&#39;"),
    ({"sort": "colour"}, "unknown sort &#39;colour&#39;"),
    ({"order": "sideways"}, "unknown order &#39;sideways&#39;"),
    ({"from": "31/05/2024"}, "&#39;31/05/2024&#39; in “From” is not a date"),
    ({"from": "2024-06-01", "to": "2024-05-01"}, "is before the &#39;from&#39; date"),
    ({"tag": "Not a tag!"}, "is not a valid tag"),
])
def test_refused_filters_are_explained_beside_the_form(client: TestClient, params: dict[str, str],
                                                       message: str) -> None:
    response = client.get("/clients/northwind", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert re.search(r'<p class="problem" role="alert">[^<]*' + re.escape(message), response.text)
    assert '<form class="filters"' in response.text and "<h1>Northwind</h1>" in response.text


# --- search -------------------------------------------------------------------------------

def test_search_hits_link_to_the_item_at_the_matching_page(client: TestClient, archive: Archive) -> None:
    result = search(archive, query="payment", client="northwind")
    paged = [h for h in result.hits if h.page]
    assert paged, "the sample's PDFs match 'payment' on a page"
    html = client.get("/search", params={"q": "payment", "client": "northwind"}).text
    assert 'name="q" value="payment"' in html  # the query stays in the box
    assert f"<strong>{result.total} items</strong>" in html
    for hit in result.hits:
        href = f"/items/{hit.id}#page-{hit.page}" if hit.page else f"/items/{hit.id}"
        assert f'<a href="{href}">' in html, href


def test_search_facets_are_links_that_add_their_filter(client: TestClient, archive: Archive) -> None:
    result = search(archive, query="payment", client="northwind")
    html = client.get("/search", params={"q": "payment", "client": "northwind"}).text
    email_link = "/search?q=payment&amp;client=northwind&amp;kind=email"
    assert f'<a href="{email_link}">email <span class="count">({result.facets["kind"]["email"]})</span>' in html
    narrowed = client.get(email_link.replace("&amp;", "&")).text
    assert f"<strong>{result.facets['kind']['email']} items</strong>" in narrowed
    assert '<option value="email" selected>' in narrowed
    assert all(kind == "email" for kind in re.findall(r'<span class="muted">(\w+) · Northwind', narrowed))
    # clicking the chosen facet again takes it off
    assert 'href="/search?q=payment&amp;client=northwind" aria-current="true"' in narrowed

    person, count = next(iter(result.facets["correspondent"].items()))
    link = re.search(r'<a href="([^"]+)">' + re.escape(person) + r" <span", html)
    assert link, person
    by_person = client.get(link.group(1).replace("&amp;", "&"))
    assert f"<strong>{count} item" in by_person.text
    assert f'value="payment correspondents:&#34;{person}&#34;"' in by_person.text


def test_search_pages_through_results(client: TestClient, archive: Archive) -> None:
    total = search(archive, query="northwind", client="northwind").total
    assert total > 20
    first = client.get("/search", params={"q": "northwind", "client": "northwind"}).text
    assert f"<strong>{total} items</strong>" in first and "showing 1–20" in first
    assert 'href="/search?q=northwind&amp;client=northwind&amp;page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get("/search", params={"q": "northwind", "client": "northwind", "page": 2}).text
    assert 'href="/search?q=northwind&amp;client=northwind&amp;page=1" rel="prev"' in second
    assert "showing 21–" in second


def test_search_problems_are_shown_on_the_page(client: TestClient) -> None:
    bad = client.get("/search", params={"q": '"open'})
    assert bad.status_code == 200 and "unclosed quote" in bad.text and 'value="&#34;open"' in bad.text
    kind = client.get("/search", params={"q": "payment", "kind": "fax"})
    assert "unknown kind &#39;fax&#39;" in kind.text


# --- the timeline -------------------------------------------------------------------------

def test_the_timeline_is_a_page_of_the_site_with_every_citation_a_link(client: TestClient, archive: Archive) -> None:
    timeline = build_timeline(archive, client="northwind")
    response = client.get("/clients/northwind/timeline")
    assert response.status_code == 200
    html = response.text
    assert '<nav aria-label="Site">' in html and "<h1>Timeline: Northwind</h1>" in html
    assert "<details>" in html and '<script src="/static/print.js" defer></script>' in html
    for entry in timeline.entries:
        href = f"/items/{entry.item_id}" + (f"#page-{entry.source.page}" if entry.source.page else "")
        assert f'<a href="{href}"><strong>' in html, entry.id
        for attachment in entry.attachments:
            assert f'<a href="/items/{attachment.item_id}">' in html
    assert timeline.silences
    for silence in timeline.silences:
        for item_id in silence.unanswered:
            assert f'<a href="/items/{item_id}">item #{item_id}</a>' in html
    for undated in timeline.undated:
        assert f'<a href="/items/{undated.item_id}"><strong>' in html
    contract = timeline.summary.contract_effective
    assert contract is not None
    assert f'<a href="/items/{contract.citation.item_id}#page-{contract.citation.page}">contract: ' in html
    for invoice in timeline.summary.invoices:
        assert f'<a href="/items/{invoice.item_id}">invoice: item #{invoice.item_id}' in html


def test_the_timeline_links_its_downloads_with_the_same_filters(client: TestClient) -> None:
    html = client.get("/clients/northwind/timeline", params={"from": "2024-05-01", "kind": ["email", "call"]}).text
    for fmt in ("csv", "md", "html"):
        href = f"/api/clients/northwind/timeline?from=2024-05-01&amp;kind=email&amp;kind=call&amp;format={fmt}"
        assert f'<a href="{href}" download>' in html, fmt
        download = client.get(href.replace("&amp;", "&"))
        assert download.status_code == 200
    csv = client.get("/api/clients/northwind/timeline?from=2024-05-01&kind=email&kind=call&format=csv").text
    assert "2024-04" not in csv.split("\r\n", 1)[1].split(",", 1)[0]


def test_the_timeline_filter_form(client: TestClient, archive: Archive) -> None:
    from datetime import date

    july = build_timeline(archive, client="northwind", date_from=date(2024, 7, 1), date_to=date(2024, 7, 31),
                          kinds=["email"])
    html = client.get("/clients/northwind/timeline",
                      params={"from": "2024-07-01", "to": "2024-07-31", "kind": "email"}).text
    assert re.findall(r'<tr id="((?:item|mention)-\d+)"', html) == [e.id for e in july.entries]
    assert 'name="from" value="2024-07-01"' in html and 'name="to" value="2024-07-31"' in html
    assert 'value="email" checked' in html and 'value="call" checked' not in html
    flagged = client.get("/clients/northwind/timeline", params={"only_flagged": "true"}).text
    assert len(re.findall(r'<tr id="item-\d+"', flagged)) == 2 and 'name="only_flagged" value="true" checked' in flagged
    tagged = client.get("/clients/northwind/timeline", params={"tag": "key"}).text
    assert re.findall(r'<tr id="(item-\d+)"', tagged) == re.findall(r'<tr id="(item-\d+)"', flagged)
    for field in ("t-from", "t-to", "t-tag", "t-flagged", "t-kind-email"):
        assert f'<label for="{field}">' in html


def test_timeline_filters_it_cannot_use_are_explained(client: TestClient) -> None:
    response = client.get("/clients/northwind/timeline", params={"from": "2024-08-01", "to": "2024-07-01"})
    assert response.status_code == 422
    problem = "the range starts (2024-08-01) after it ends (2024-07-01)"
    assert f'<p class="problem" role="alert">{problem}</p>' in response.text
    assert '<form class="filters"' in response.text
    assert "is not a date" in client.get("/clients/northwind/timeline", params={"to": "soon"}).text
    assert client.get("/clients/northwind/timeline", params={"kind": "fax"}).status_code == 422


# --- hostile content ------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/clients/northwind?from=2024-08-06&to=2024-08-06",
    "/search?q=quokka",
    "/clients/northwind/timeline?from=2024-08-06&to=2024-08-06",
])
def test_hostile_content_is_shown_as_text(client: TestClient, url: str) -> None:
    html = client.get(url).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE_SUBJECT not in html
    assert "<img src=x" not in html
