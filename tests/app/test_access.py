"""Who may see what: the route table, cross-client ids, scoped lists, disclosures, tokens, sessions, CSRF.

Every test runs on a copy of one archive (``World``): sample_docs northwind and bluebird,
one northwind mailbox message moved to bluebird (so northwind's mbox also holds another
client's document), a published bundle and a queued export job per client, an owner, a
member, a lawyer given northwind, and tokens. tests/app/test_access_matrix.py and
test_schemathesis.py use the same world.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.access import Rule, rule_of
from app.accounts.models import ApiToken
from app.accounts.sessions import COOKIE, start_session
from app.accounts.sharing import access_log, revoke_share, share_client, use_signin_link
from app.accounts.tokens import create_token, revoke_token
from app.accounts.users import add_user, disable_user
from app.archive import Archive, open_archive
from app.bundle.jobs import request_export
from app.bundle.published import publish_bundle
from app.changes import assign_item
from app.config import Settings
from app.errors import NotFound
from app.ingesting import ingest_paths
from app.items import list_items
from app.main import create_app
from app.models import LedgerEntry, utc_now
from app.tags import add_note, tag_item
from app.verify import verify_archive
from tests.conftest import SAMPLES

PASSWORD = "a long enough password"
LAWYER = "lawyer@law.example"


@dataclass(frozen=True)
class Who:
    """Someone asking: a session of ``user_id``, a bearer ``secret``, or nobody."""

    label: str
    role: str | None = None  # None: nobody signed in
    scoped: bool = False  # limited to some clients (a lawyer, a token for one client)
    user_id: int | None = None
    secret: str | None = None


@dataclass
class World:
    """The archive every access test reads, and the names of what is in it."""

    settings: Settings
    ids: dict[str, int]  # named items: pdf, email, mbox, moved, bluebird
    northwind: set[int]
    bluebird: set[int]  # every item of bluebird's, the moved message included
    bundles: dict[str, str]  # client -> bundle id (the zip's sha256)
    jobs: dict[str, int]  # client -> a queued export job
    users: dict[str, int]  # owner, member, lawyer -> account id
    secrets: dict[str, str] = field(default_factory=dict)  # lawyer_token, member_token

    def who(self, label: str) -> Who:
        """The principals of the matrix, by label."""
        return {
            "nobody": Who("nobody"),
            "owner": Who("owner", "owner", user_id=self.users["owner"]),
            "member": Who("member", "member", user_id=self.users["member"]),
            "lawyer": Who("lawyer", "lawyer", scoped=True, user_id=self.users["lawyer"]),
            "lawyer_token": Who("lawyer_token", "lawyer", scoped=True, secret=self.secrets["lawyer_token"]),
            "member_token": Who("member_token", "member", secret=self.secrets["member_token"]),
        }[label]


PRINCIPALS = ("nobody", "owner", "member", "lawyer", "lawyer_token", "member_token")
_SEED: World | None = None


def _build_seed(folder: Path) -> World:
    settings = Settings(data=folder / "data", actor="tester", timezone="Europe/London")
    archive = open_archive(settings)
    try:
        ingest_paths(archive, paths=[SAMPLES / "northwind"], client="northwind")
        ingest_paths(archive, paths=[SAMPLES / "bluebird"], client="bluebird")
        named = {i.original_filename: i.id for i in list_items(archive, limit=1000).items}
        ids = {
            "pdf": named["consultancy-agreement-signed.pdf"],
            "email": named["greg-staging-feedback.eml"],
            "mbox": named["northwind-2024.mbox"],
            "moved": named["northwind-2024.mbox#1"],
            "message": named["northwind-2024.mbox#2"],
            "bluebird": named["bluebird-2024.mbox#1"],
        }
        # a message re-assigned after its mailbox was read: the mbox now holds another client's mail
        assign_item(archive, item_id=ids["moved"], client="bluebird")
        tag_item(archive, item_id=ids["email"], tag="matrix")
        add_note(archive, item_id=ids["email"], text="checked against the call log")
        tag_item(archive, item_id=ids["bluebird"], tag="bakery")
        add_note(archive, item_id=ids["bluebird"], text="bluebird paid on time")
        by_client: dict[str, set[int]] = {"northwind": set(), "bluebird": set()}
        for item in list_items(archive, limit=1000).items:
            by_client[item.client].add(item.id)
        bundles = {c: publish_bundle(archive, client=c).sha256 for c in ("northwind", "bluebird")}
        jobs = {c: request_export(archive, client=c).id for c in ("northwind", "bluebird")}
        users = {
            "owner": add_user(archive, email="owner@firm.example", role="owner", password=PASSWORD).id,
            "member": add_user(archive, email="member@firm.example", role="member", password=PASSWORD).id,
        }
        share = share_client(archive, client="northwind", email=LAWYER, expires_in=timedelta(days=30))
        _token, signed = use_signin_link(archive, secret=share.link.rsplit("/", 1)[1], address="127.0.0.1")
        users["lawyer"] = signed.user_id
        secrets = {
            "lawyer_token": create_token(archive, name="northwind lawyer", role="lawyer", client="northwind")[0],
            "member_token": create_token(archive, name="member script", role="member")[0],
        }
    finally:
        archive.close()
    return World(settings, ids, by_client["northwind"], by_client["bluebird"], bundles, jobs, users, secrets)


def world_copy(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A fresh copy of the seed archive (built once per process: ingesting and bundling take seconds)."""
    global _SEED
    if _SEED is None:
        _SEED = _build_seed(tmp_path_factory.mktemp("access-seed"))
    folder = tmp_path_factory.mktemp("access")
    shutil.copytree(_SEED.settings.data, folder / "data")
    return replace(_SEED, settings=_SEED.settings.model_copy(update={"data": folder / "data"}))


def headers_for(archive: Archive, who: Who, *, unsafe: bool = False) -> dict[str, str]:
    """What ``who``'s request carries: a new session's cookie (and CSRF token), a bearer token, or nothing."""
    if who.secret:
        return {"Authorization": f"Bearer {who.secret}"}
    if who.user_id is None:
        return {}
    token, signed = start_session(archive, user_id=who.user_id, address="testclient")
    headers = {"Cookie": f"{COOKIE}={token}"}
    if unsafe:
        headers["X-CSRF-Token"] = signed.csrf_token
    return headers


def session_headers(archive: Archive, user_id: int) -> tuple[dict[str, str], str]:
    """A session's cookie header and its CSRF token."""
    token, signed = start_session(archive, user_id=user_id, address="testclient")
    return {"Cookie": f"{COOKIE}={token}"}, signed.csrf_token


def assert_nothing_of(world: World, response: Any, client: str = "bluebird", echo: str = "") -> None:
    """The body names no other client and links or lists none of its items (``echo``: the query, shown back)."""
    text = response.text
    for shown in (echo, quote_plus(echo)) if echo else ():
        text = re.sub(re.escape(shown), "", text, flags=re.I)
    assert client not in text.lower(), f"{response.request.url}: '{client}' in the answer"
    linked = {int(n) for n in re.findall(r"/items/(\d+)", text)}
    assert not linked & world.bluebird, f"{response.request.url}: links to {linked & world.bluebird}"
    if "json" in response.headers.get("content-type", ""):
        found = _ids_in(json.loads(text))
        assert not found & world.bluebird, f"{response.request.url}: item ids {found & world.bluebird}"


_ID_KEYS = ("id", "item_id", "parent_id", "start_item_id", "end_item_id", "sent_item_id")


def _ids_in(value: object) -> set[int]:
    """Every item id a JSON answer mentions (in the keys items are named by)."""
    found: set[int] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, int) and (key in _ID_KEYS or key.endswith("_item_id")):
                found.add(inner)
            elif key in ("unanswered", "follow_ups", "item_ids") and isinstance(inner, list):
                found.update(v for v in inner if isinstance(v, int))
            else:
                found |= _ids_in(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _ids_in(inner)
    return found


def all_routes(app: FastAPI) -> Iterator[tuple[str, Any]]:
    """``(full path, route)`` for every route of the app, included routers walked into.

    FastAPI 0.165 keeps an included router as an ``_IncludedRouter`` (its routes in
    ``original_router.routes``, its prefix in ``include_context.prefix``) instead of copying
    its routes onto the app.
    """

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + (route.include_context.prefix or ""))
            else:
                yield prefix + getattr(route, "path", ""), route

    return walk(list(app.routes), "")


def routes_without_rule(app: FastAPI) -> list[str]:
    """``"METHOD /path"`` of every route no access rule covers (the /static files are public)."""
    missing = []
    for path, route in all_routes(app):
        if type(route).__name__ == "Mount" and path == "/static":
            continue
        endpoint = getattr(route, "endpoint", None)
        if endpoint is None or rule_of(endpoint) is None:
            missing.append(f"{','.join(sorted(getattr(route, 'methods', None) or ['?']))} {path}")
    return missing


def rule_routes(app: FastAPI) -> list[tuple[str, str, Rule]]:
    """``(method, path, rule)`` for every route with a rule."""
    found = []
    for path, route in all_routes(app):
        rule = rule_of(getattr(route, "endpoint", None)) if hasattr(route, "endpoint") else None
        if rule is not None:
            found.extend((method, path, rule) for method in sorted(route.methods or ()))
    return found


# --- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world_copy(tmp_path_factory)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def archive(client: TestClient) -> Archive:
    return client.app.state.archive  # type: ignore[attr-defined, no-any-return]


def _as(archive: Archive, world: World, label: str, *, unsafe: bool = False) -> dict[str, str]:
    return headers_for(archive, world.who(label), unsafe=unsafe)


# --- the route table -----------------------------------------------------------------


def test_every_route_declares_an_access_rule(client: TestClient) -> None:
    assert routes_without_rule(client.app) == []  # type: ignore[arg-type]
    paths = {path for _method, path, _rule in rule_routes(client.app)}  # type: ignore[arg-type]
    assert {"/api/items/{item_id}/original", "/items/{item_id}", "/health", "/api/search"} <= paths


def test_a_route_added_without_a_rule_fails_the_walk_and_serves_nobody(world: World) -> None:
    app = create_app(world.settings)

    @app.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {"secret": "everything"}

    assert routes_without_rule(app) == ["GET /api/forgotten"]
    with TestClient(app) as test_client:
        archive = test_client.app.state.archive  # type: ignore[attr-defined]
        response = test_client.get("/api/forgotten", headers=_as(archive, world, "owner"))
    assert response.status_code == 403
    assert response.json() == {"detail": "this address has no access rule"}


# --- cross-client by id ----------------------------------------------------------------


def _foreign_addresses(world: World) -> list[tuple[str, str]]:
    item, moved = world.ids["bluebird"], world.ids["moved"]
    job, bundle = world.jobs["bluebird"], world.bundles["bluebird"]
    return [
        ("GET", f"/api/items/{item}"),
        ("GET", f"/api/items/{moved}"),  # bluebird's now, though it sits in northwind's mailbox
        ("GET", f"/api/items/{item}/original"),
        ("GET", f"/api/items/{item}/searchable-pdf"),
        ("GET", f"/api/items/{item}/pages/1/preview.png"),
        ("GET", f"/api/items/{item}/annotations"),
        ("GET", f"/api/items/{item}/corrections"),
        ("GET", f"/api/bundles/{bundle}"),
        ("GET", f"/api/jobs/{job}"),
        ("GET", f"/export/jobs/{job}"),
        ("GET", f"/export?job={job}"),
        ("GET", f"/items/{item}"),
        ("GET", "/api/clients/bluebird/timeline"),
        ("GET", "/clients/bluebird"),
        ("GET", "/clients/bluebird/timeline"),
        ("GET", "/api/items?client=bluebird"),
        ("GET", "/api/items?client=northwind&client=bluebird"),
        ("GET", "/api/search?q=menu&client=bluebird"),
        ("GET", "/search?q=menu&client=bluebird"),
        ("GET", "/export?client=bluebird"),
        ("GET", "/api/bundles?client=bluebird"),
        ("POST", "/api/clients/bluebird/bundles"),
        ("POST", "/api/clients/bluebird/bundle-jobs"),
        ("POST", "/export"),  # with client=bluebird in the form
    ]


@pytest.mark.parametrize("label", ["lawyer", "lawyer_token"])
def test_another_clients_things_are_not_found_for_a_lawyer(
    client: TestClient, archive: Archive, world: World, label: str
) -> None:
    for method, path in _foreign_addresses(world):
        headers = _as(archive, world, label, unsafe=method == "POST")
        if path == "/export":
            response = client.post(path, data={"client": "bluebird"}, headers=headers, follow_redirects=False)
        else:
            response = client.request(method, path, headers=headers, json={} if method == "POST" else None,
                                      follow_redirects=False)
        assert response.status_code == 404, (path, response.status_code, response.text[:200])
        body = response.text if path.startswith("/api/") else ""
        assert "bluebird paid" not in response.text and "Bakery" not in response.text
        if body:
            assert response.json()["detail"].startswith(("no item with id", "no job with id", "no bundle", "no client"))
    # the owner reaches the same addresses
    owner = _as(archive, world, "owner")
    assert client.get(f"/api/items/{world.ids['bluebird']}/annotations", headers=owner).json()["tags"] == ["bakery"]
    assert client.get(f"/api/bundles/{world.bundles['bluebird']}", headers=owner).status_code == 200


def test_a_mailbox_holding_another_clients_mail_is_withheld_from_a_lawyer(
    client: TestClient, archive: Archive, world: World
) -> None:
    mbox, moved = world.ids["mbox"], world.ids["moved"]
    for label in ("lawyer", "lawyer_token"):
        response = client.get(f"/api/items/{mbox}/original", headers=_as(archive, world, label))
        assert response.status_code == 404
        assert response.json()["detail"] == (
            f"the original file of item {mbox} is withheld: it also holds 1 document(s) of other clients; "
            "open its documents one by one instead"
        )
        detail = client.get(f"/api/items/{mbox}", headers=_as(archive, world, label)).json()
        children = {c["id"] for c in detail["children"]}
        assert moved not in children and len(children) == 31
    # the messages themselves download; the owner gets the whole mailbox
    message = client.get(f"/api/items/{world.ids['message']}/original", headers=_as(archive, world, "lawyer"))
    assert message.status_code == 200 and b"Subject: Re: Loyalty programme" in message.content
    whole = client.get(f"/api/items/{mbox}/original", headers=_as(archive, world, "owner"))
    assert whole.status_code == 200 and whole.content == (SAMPLES / "northwind/mail/northwind-2024.mbox").read_bytes()
    owners_view = client.get(f"/api/items/{mbox}", headers=_as(archive, world, "owner")).json()
    assert moved in {c["id"] for c in owners_view["children"]}


def test_a_moved_messages_mailbox_is_not_named_to_the_other_clients_lawyer(
    client: TestClient, archive: Archive, world: World
) -> None:
    share_client(archive, client="bluebird", email="baker-lawyer@law.example", expires_in=timedelta(days=1))
    lawyer_id = _user_id(archive, "baker-lawyer@law.example")
    headers, _csrf = session_headers(archive, lawyer_id)
    moved = client.get(f"/api/items/{world.ids['moved']}", headers=headers).json()
    assert moved["client"] == "bluebird" and moved["parent_id"] is None  # northwind's mbox, not even by id
    listed = client.get("/api/items", params={"limit": 1000}, headers=headers).json()
    assert {i["id"] for i in listed["items"]} == world.bluebird
    assert client.get(f"/api/items/{world.ids['mbox']}", headers=headers).status_code == 404


def _user_id(archive: Archive, email: str) -> int:
    from app.accounts.models import User

    with archive.read() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        assert user.id is not None
        return user.id


# --- lists, search, counts and timelines stay within -------------------------------------


@pytest.mark.parametrize("label", ["lawyer", "lawyer_token"])
def test_lists_and_counts_hold_only_the_lawyers_client(
    client: TestClient, archive: Archive, world: World, label: str
) -> None:
    def get(path: str, **params: Any) -> Any:
        response = client.get(path, params=params, headers=_as(archive, world, label))
        assert response.status_code == 200, (path, response.text[:300])
        assert_nothing_of(world, response)
        return response

    clients = get("/api/clients").json()
    assert [c["slug"] for c in clients] == ["northwind"] and clients[0]["item_count"] == len(world.northwind)
    listing = get("/api/items", limit=1000).json()
    assert listing["total"] == len(world.northwind) and {i["id"] for i in listing["items"]} == world.northwind
    assert get("/api/items", kind="note", limit=1000).json()["total"] == 4  # bluebird's note is not counted
    assert [b["client"] for b in get("/api/bundles").json()] == ["northwind"]
    timeline = get("/api/clients/northwind/timeline").json()
    assert timeline["client"] == "northwind" and timeline["entries"]
    for page in ("/", "/search", "/export", "/export/bundles", "/clients/northwind", "/clients/northwind/timeline",
                 f"/items/{world.ids['email']}", f"/items/{world.ids['mbox']}"):
        assert "Northwind" in get(page).text
    export_page = get("/export").text
    assert 'value="northwind"' in export_page and world.bundles["northwind"] in export_page
    assert world.bundles["bluebird"] not in export_page


@pytest.mark.parametrize("label", ["lawyer", "lawyer_token"])
def test_search_totals_and_facets_are_scoped_whatever_the_query_says(
    client: TestClient, archive: Archive, world: World, label: str
) -> None:
    def search(q: str, **params: Any) -> dict[str, Any]:
        response = client.get("/api/search", params={"q": q, "limit": 200, **params},
                              headers=_as(archive, world, label))
        assert response.status_code == 200, response.text
        assert_nothing_of(world, response)
        return response.json()  # type: ignore[no-any-return]

    owner = _as(archive, world, "owner")
    everyone = client.get("/api/search", params={"q": "invoice", "limit": 200}, headers=owner).json()
    northwind = client.get("/api/search", params={"q": "invoice", "limit": 200, "client": "northwind"},
                           headers=owner).json()
    assert any(h["client"] == "bluebird" for h in everyone["hits"])  # the word is in both clients' mail
    scoped = search("invoice")
    assert scoped["total"] == northwind["total"] < everyone["total"]
    assert scoped["facets"] == northwind["facets"] and {h["id"] for h in scoped["hits"]} <= world.northwind
    assert search("client:bluebird")["total"] == 0
    assert search("menu")["total"] == 0  # a bluebird-only word
    assert search("invoice OR client:bluebird")["total"] == northwind["total"]
    assert search("(client:bluebird OR client:northwind) invoice")["total"] == northwind["total"]
    assert search("from:maria")["total"] == 0
    assert world.ids["moved"] not in {h["id"] for h in search("loyalty programme")["hits"]}
    page = client.get("/search", params={"q": "client:bluebird OR invoice"}, headers=_as(archive, world, label))
    assert page.status_code == 200 and f"<strong>{northwind['total']} items</strong>" in page.text
    assert_nothing_of(world, page, echo="client:bluebird")


def test_the_services_limit_to_within_and_an_empty_within_is_nothing(archive: Archive, world: World) -> None:
    from app.bundle.history import list_bundles
    from app.items import get_item, list_clients
    from app.overview import client_overviews
    from app.search import search

    assert [c.slug for c in list_clients(archive, within={"northwind"})] == ["northwind"]
    assert [c.slug for c in client_overviews(archive, within={"bluebird"})] == ["bluebird"]
    assert list_items(archive, within={"bluebird"}, limit=1000).total == len(world.bluebird)
    assert [b.client for b in list_bundles(archive, within={"northwind"})] == ["northwind"]
    scoped = search(archive, query="invoice", within={"northwind"}, limit=200)
    single = search(archive, query="invoice", client="northwind", limit=200)
    assert (scoped.total, scoped.facets) == (single.total, single.facets)
    assert search(archive, query="invoice", within={"northwind", "bluebird"}).total == search(
        archive, query="invoice").total
    with pytest.raises(NotFound, match="no client 'bluebird'"):
        search(archive, query="invoice", client="bluebird", within={"northwind"})
    with pytest.raises(NotFound, match="no client 'bluebird'"):
        list_items(archive, client="bluebird", within={"northwind"})
    with pytest.raises(NotFound, match=f"no item with id {world.ids['bluebird']}"):
        get_item(archive, item_id=world.ids["bluebird"], within={"northwind"})
    # a lawyer whose every grant has lapsed: nothing at all, not everything
    assert list_clients(archive, within=()) == [] and client_overviews(archive, within=()) == []
    assert list_items(archive, within=()).total == 0 and list_bundles(archive, within=()) == []
    nothing = search(archive, query="invoice", within=())
    assert (nothing.total, nothing.hits, nothing.facets) == (0, [], {"kind": {}, "correspondent": {}})


def test_a_lawyer_whose_grant_lapsed_sees_nothing(client: TestClient, archive: Archive) -> None:
    from app.accounts.models import ClientGrant

    share_client(archive, client="northwind", email="lapsed@law.example", expires_in=timedelta(days=1))
    user_id = _user_id(archive, "lapsed@law.example")
    headers, _csrf = session_headers(archive, user_id)
    assert [c["slug"] for c in client.get("/api/clients", headers=headers).json()] == ["northwind"]
    with archive.write() as uow:  # a day later
        grant = uow.session.exec(select(ClientGrant).where(ClientGrant.user_id == user_id)).one()
        grant.expires_at_utc = utc_now() - timedelta(seconds=1)
        uow.session.add(grant)
    assert client.get("/api/clients", headers=headers).json() == []
    assert client.get("/api/items", headers=headers).json() == {"total": 0, "items": []}
    assert client.get("/api/search", params={"q": "invoice"}, headers=headers).json()["total"] == 0
    assert client.get("/api/clients/northwind/timeline", headers=headers).status_code == 404


# --- disclosures ----------------------------------------------------------------------


def _disclosed(archive: Archive, to: str) -> list[dict[str, Any]]:
    with archive.read() as session:
        rows = session.exec(
            select(LedgerEntry).where(LedgerEntry.action == "disclosed", LedgerEntry.actor == to)
            .order_by(col(LedgerEntry.seq))
        ).all()
    return [{**json.loads(r.details), "item_id": r.item_id} for r in rows]


def test_a_lawyers_views_and_downloads_are_custody_entries_naming_them(
    client: TestClient, archive: Archive, world: World
) -> None:
    email = "witness@law.example"
    share = share_client(archive, client="northwind", email=email, expires_in=timedelta(days=2))
    session, _info = use_signin_link(archive, secret=share.link.rsplit("/", 1)[1], address="testclient")
    headers = {"Cookie": f"{COOKIE}={session}"}
    item = world.ids["email"]
    for path in (f"/items/{item}", f"/api/items/{item}/original", f"/api/bundles/{world.bundles['northwind']}",
                 "/search?q=overdue", "/clients/northwind/timeline"):
        assert client.get(path, headers=headers).status_code == 200, path
    assert client.get("/search", headers=headers).status_code == 200  # the empty form shows nothing: no entry
    entries = _disclosed(archive, email)
    assert [(e["what"], e["client"], e["item_id"]) for e in entries] == [
        ("item", "northwind", item), ("original", "northwind", item), ("bundle", "northwind", None),
        ("search", "northwind", None), ("timeline", "northwind", None),
    ]
    assert all(e["to"] == email for e in entries) and entries[3]["query"] == "overdue"
    log = [e for e in access_log(archive, client="northwind") if e.actor == email]
    assert [e.what for e in log] == [
        "disclosed timeline", "disclosed search: “overdue”", "disclosed bundle", "disclosed original",
        "disclosed item", f"{email} signed in by their link",
    ]
    assert not [e for e in access_log(archive, client="bluebird") if e.actor == email]
    # the item's own history shows who was shown it
    detail = client.get(f"/api/items/{item}", headers=_as(archive, world, "owner")).json()
    assert any(e["action"] == "disclosed" and e["actor"] == email for e in detail["ledger"])
    report = verify_archive(archive)
    assert report.ok, report.problems
    # the firm's own reading is not a disclosure
    before = len(_disclosed(archive, "owner@firm.example"))
    assert client.get(f"/api/items/{item}", headers=_as(archive, world, "owner")).status_code == 200
    assert len(_disclosed(archive, "owner@firm.example")) == before == 0


# --- DNS rebinding, cross-site requests, CSRF ------------------------------------------------


def test_local_mode_serves_only_requests_naming_this_machine(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "data", actor="tester", timezone="Europe/London")
    with TestClient(create_app(settings)) as local:
        assert local.get("/api/clients").status_code == 200  # no accounts: the laptop's single-user mode
        rebound = local.get("/api/clients", headers={"Host": "evil.example"})
        assert rebound.status_code == 400
        assert rebound.json()["detail"].startswith("this address does not name this machine")
        assert local.get("/", headers={"Host": "evil.example:8000"}).status_code == 400
        assert local.get("/api/clients", headers={"Host": "127.0.0.1:8000"}).status_code == 200
        cross_site = local.post("/api/verify-archive", headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 403
        assert cross_site.json()["detail"] == "changes to the archive are only accepted from Casefile's own pages"
        fetch = local.post("/api/verify-archive", headers={"Sec-Fetch-Site": "cross-site"})
        assert fetch.status_code == 403
        assert local.post("/api/verify-archive", headers={"Origin": "http://testserver"}).status_code == 202


def test_a_sessions_changes_need_its_csrf_token(client: TestClient, archive: Archive, world: World) -> None:
    headers, csrf = session_headers(archive, world.users["member"])
    item = world.ids["pdf"]
    missing = client.post(f"/api/items/{item}/tags", json={"tag": "csrf"}, headers=headers)
    assert missing.status_code == 403 and "reload the page" in missing.json()["detail"]
    wrong = client.post(f"/api/items/{item}/tags", json={"tag": "csrf"}, headers={**headers, "X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    page_form = client.post(f"/items/{item}/tags", data={"tag": "csrf"}, headers=headers, follow_redirects=False)
    assert page_form.status_code == 403
    assert "csrf" not in client.get(f"/api/items/{item}/annotations", headers=headers).json()["tags"]
    sent = client.post(f"/api/items/{item}/tags", json={"tag": "csrf"}, headers={**headers, "X-CSRF-Token": csrf})
    assert sent.status_code == 200 and "csrf" in sent.json()["tags"]
    form = client.post(f"/items/{item}/tags", data={"tag": "csrf-form", "csrf_token": csrf}, headers=headers,
                       follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == f"/items/{item}#tags"
    other_site = client.post(f"/api/items/{item}/tags", json={"tag": "x"},
                             headers={**headers, "X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert other_site.status_code == 403
    # a bearer token is never sent by a browser on its own: no CSRF token needed
    token = client.post(f"/api/items/{item}/tags", json={"tag": "script"}, headers=_as(archive, world, "member_token"))
    assert token.status_code == 200
    # the custody entry names the person, not the server's configured actor
    with archive.read() as session:
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.action == "tag")
                             .order_by(col(LedgerEntry.seq).desc())).first()
    assert entry is not None and entry.actor == "token:member script"


def test_a_lawyer_cannot_change_evidence_or_see_the_firms_own_pages(
    client: TestClient, archive: Archive, world: World
) -> None:
    item = world.ids["email"]
    for label in ("lawyer", "lawyer_token"):
        headers = _as(archive, world, label, unsafe=True)
        refused = client.post(f"/api/items/{item}/tags", json={"tag": "mine"}, headers=headers)
        assert refused.status_code == 403 and refused.json()["detail"] == "a lawyer's access is read-only"
        for path in ("/api/jobs", "/upload", "/jobs"):
            assert client.get(path, headers=_as(archive, world, label)).status_code == 403
        staff_only = client.get("/api/jobs", headers=_as(archive, world, label)).json()["detail"]
        assert staff_only.startswith("this page is for the archive's owners and members")
    anonymous = client.get("/api/items")
    assert anonymous.status_code == 401 and anonymous.json() == {"detail": "sign in to use Casefile"}


def test_a_token_for_one_client_stays_within_it_even_as_a_member(
    client: TestClient, archive: Archive, world: World
) -> None:
    secret, _public = create_token(archive, name="northwind script", role="member", client="northwind")
    headers = {"Authorization": f"Bearer {secret}"}
    listing = client.get("/api/items", params={"limit": 1000}, headers=headers).json()
    assert {i["id"] for i in listing["items"]} == world.northwind
    assert client.post(f"/api/items/{world.ids['pdf']}/tags", json={"tag": "scripted"}, headers=headers).status_code \
        == 200
    assert client.post(f"/api/items/{world.ids['bluebird']}/tags", json={"tag": "x"}, headers=headers).status_code \
        == 404
    # the whole archive's jobs are not for a token limited to one client
    jobs = client.get("/api/jobs", headers=headers)
    assert jobs.status_code == 403 and "limited to some clients" in jobs.json()["detail"]
    # nor can it move evidence, or upload, into another client
    moved = client.post(f"/items/{world.ids['pdf']}/assign", data={"client": "bluebird"}, headers=headers,
                        follow_redirects=False)
    assert moved.status_code == 404
    renamed = client.post(f"/items/{world.ids['pdf']}/assign", data={"new_client": "elsewhere"}, headers=headers,
                          follow_redirects=False)
    assert renamed.status_code == 404 and "no client" in renamed.text
    upload = client.post("/api/uploads", files={"file": ("a.txt", b"hello")}, headers=headers)
    assert upload.status_code == 422 and "say which client" in upload.json()["detail"]
    elsewhere = client.post("/api/uploads", data={"client": "bluebird"}, files={"file": ("a.txt", b"hello")},
                            headers=headers)
    assert elsewhere.status_code == 404
    assert client.get("/api/items", params={"client": "bluebird"}, headers=headers).status_code == 404


# --- tokens, accounts and shares end on the next request -------------------------------------


def test_token_expiry_and_revocation_take_effect_on_the_next_request(client: TestClient, archive: Archive) -> None:
    secret, public = create_token(archive, name="short", role="lawyer", client="northwind",
                                  expires_in=timedelta(hours=1))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/clients", headers=headers).status_code == 200
    with archive.write() as uow:  # an hour later
        row = uow.session.get(ApiToken, public.id)
        assert row is not None
        row.expires_at_utc = utc_now() - timedelta(seconds=1)
        uow.session.add(row)
    expired = client.get("/api/clients", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["detail"] == "the API token is not valid (unknown, expired or revoked)"

    secret, public = create_token(archive, name="revoked", role="member")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/items", headers=headers).status_code == 200
    revoke_token(archive, token_id=public.id)
    assert client.get("/api/items", headers=headers).status_code == 401
    assert client.get("/api/items", headers={"Authorization": "Bearer cf_made-up"}).status_code == 401
    assert client.get("/api/items", headers={"Authorization": "Basic b3duZXI6cGFzcw=="}).status_code == 401


def test_a_disabled_accounts_session_stops_at_once(client: TestClient, archive: Archive) -> None:
    user = add_user(archive, email="leaver@firm.example", role="member", password=PASSWORD)
    headers, _csrf = session_headers(archive, user.id)
    assert client.get("/api/items", headers=headers).status_code == 200
    disable_user(archive, email="leaver@firm.example")
    assert client.get("/api/items", headers=headers).status_code == 401
    assert client.get("/", headers=headers, follow_redirects=False).status_code in (401, 303)


def test_a_revoked_share_stops_at_the_next_request(client: TestClient, archive: Archive, world: World) -> None:
    email = "two-matters@law.example"
    share = share_client(archive, client="northwind", email=email, expires_in=timedelta(days=5))
    share_client(archive, client="bluebird", email=email, expires_in=timedelta(days=5))
    session, _info = use_signin_link(archive, secret=share.link.rsplit("/", 1)[1], address="testclient")
    headers = {"Cookie": f"{COOKIE}={session}"}
    item = world.ids["email"]
    assert {c["slug"] for c in client.get("/api/clients", headers=headers).json()} == {"bluebird", "northwind"}
    assert client.get(f"/api/items/{item}", headers=headers).status_code == 200
    revoke_share(archive, client="northwind", email=email)
    assert client.get(f"/api/items/{item}", headers=headers).status_code == 404  # still signed in, not to northwind
    assert [c["slug"] for c in client.get("/api/clients", headers=headers).json()] == ["bluebird"]
    revoke_share(archive, client="bluebird", email=email)  # no client left: the session ends too
    assert client.get("/api/clients", headers=headers).status_code == 401
