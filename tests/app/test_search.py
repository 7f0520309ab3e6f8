"""Search over a real archive built from sample_docs: every query form, scoping, facets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from app import changes
from app.archive import Archive, open_archive
from app.config import Settings
from app.errors import ClientNotFound, InvalidInput
from app.ingesting import ingest_bytes, ingest_paths
from app.search import search
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    settings = Settings(data=tmp_path_factory.mktemp("search") / "data", actor="tester", timezone="Europe/London")
    archive = open_archive(settings)
    changes.init_archive(archive, me=["whitfield-digital.example"])
    assert ingest_paths(archive, paths=[SAMPLES / "northwind"], client="northwind").ok
    assert ingest_paths(archive, paths=[SAMPLES / "bluebird"], client="bluebird").ok
    yield archive
    archive.close()


def titles(archive: Archive, query: str, **kwargs: object) -> list[str]:
    return [h.title for h in search(archive, query=query, limit=200, **kwargs).hits]  # type: ignore[arg-type]


def test_words_are_stemmed_and_ranked(loaded: Archive) -> None:
    result = search(loaded, query="delivered", client="northwind")
    assert result.total > 0
    assert any(h.title.startswith("Delivery: Northwind loyalty module") for h in result.hits)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all("**" in h.snippet for h in result.hits)


def test_phrases_match_exact_word_order(loaded: Archive) -> None:
    hits = search(loaded, query='"received, thanks"', client="northwind").hits
    assert hits and all("received" in h.snippet.lower() for h in hits)
    assert "Re: Delivery: Northwind loyalty module v1.0" in [h.title for h in hits]
    assert search(loaded, query='"thanks received"', client="northwind").total == 0


def test_boolean_operators(loaded: Archive) -> None:
    both = set(titles(loaded, "invoice AND overdue", client="northwind"))
    either = set(titles(loaded, "invoice OR overdue", client="northwind"))
    without = set(titles(loaded, "invoice NOT overdue", client="northwind"))
    assert both and both <= either
    assert not (both & without)
    assert without | both <= either


def test_prefix_queries_expand(loaded: Archive) -> None:
    assert (
        search(loaded, query="deliv*", client="northwind").total
        >= search(loaded, query="delivery", client="northwind").total
    )


def test_field_filters(loaded: Archive) -> None:
    from_greg = search(loaded, query="from:greg", client="northwind", limit=200)
    assert from_greg.total > 0
    assert set(from_greg.facets["kind"]) <= {"email", "attachment"}
    assert all(h.kind == "email" for h in search(loaded, query="loyalty kind:email", limit=200).hits)
    contract = search(loaded, query="filename:consultancy", client="northwind")
    assert {h.original_filename for h in contract.hits} == {"consultancy-agreement-signed.pdf"}


def test_ocr_words_are_found_with_their_page(loaded: Archive) -> None:
    hits = search(loaded, query='"governing law"', client="northwind").hits
    assert hits and hits[0].original_filename == "consultancy-agreement-signed.pdf"
    assert hits[0].page == 3


def test_accents_fold(loaded: Archive) -> None:
    plain = {h.id for h in search(loaded, query="zoe adeyemi", client="northwind", limit=200).hits}
    accented = {h.id for h in search(loaded, query="Zoë Adeyemi", client="northwind", limit=200).hits}
    assert plain and plain == accented


def test_date_ranges_options_and_syntax(loaded: Archive) -> None:
    june = search(loaded, query="invoice", client="northwind", date_from=date(2024, 6, 1), date_to=date(2024, 6, 30))
    assert june.total > 0
    assert all(h.occurred_at and "2024-06-01" <= h.occurred_at.date().isoformat() <= "2024-06-30" for h in june.hits)
    in_query = search(loaded, query="invoice date:[20240601 to 20240630]", client="northwind")
    assert {h.id for h in in_query.hits} == {h.id for h in june.hits}


def test_client_scope_is_inside_the_query(loaded: Archive) -> None:
    bluebird = search(loaded, query="invoice OR loyalty", client="bluebird", limit=200)
    assert bluebird.total > 0 and {h.client for h in bluebird.hits} == {"bluebird"}
    northwind = search(loaded, query="invoice OR loyalty", client="northwind", limit=200)
    assert {h.client for h in northwind.hits} == {"northwind"}
    # a field the person types cannot widen the scope
    assert search(loaded, query="client:northwind invoice", client="bluebird").total == 0
    with pytest.raises(ClientNotFound):
        search(loaded, query="invoice", client="nobody")


def test_facets_and_pagination(loaded: Archive) -> None:
    everything = search(loaded, query="loyalty", client="northwind", limit=200)
    assert sum(everything.facets["kind"].values()) >= everything.total
    assert "greg.thornton@northwind-retail.example" in everything.facets["correspondent"]
    first = search(loaded, query="loyalty", client="northwind", limit=5, page=1)
    second = search(loaded, query="loyalty", client="northwind", limit=5, page=2)
    assert len(first.hits) == 5 and second.hits
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    assert [h.id for h in first.hits + second.hits] == [h.id for h in everything.hits[:10]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"open quote', "unclosed quote"),
        ("(invoice OR", "parentheses"),
        ("*voice", "wildcards need at least"),
        ("*", "match everything"),
        ("x" * 600, "limit is 500"),
        (" ".join(f"w{i}" for i in range(60)), "limit is 40"),
        ("   ", "empty"),
    ],
)
def test_bad_queries_are_refused_clearly(loaded: Archive, query: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        search(loaded, query=query)


def test_new_items_are_searchable_right_after_ingest(loaded: Archive) -> None:
    raw = (
        b"From: maria@bluebird-bakery.example\nSubject: croissant order\n"
        b"Date: Mon, 1 Jul 2024 10:00:00 +0100\n\nsourdough\n"
    )
    ingest_bytes(loaded, filename="new.eml", data=raw)
    assert titles(loaded, "sourdough", client="bluebird") == ["croissant order"]
