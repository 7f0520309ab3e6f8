"""The role × route matrix: every route of the app, asked by everyone, answers as its rule says.

The routes come from the app's own table (so a route added later is in the matrix the
day it is added), and the expected answer from its rule (``app.access.rule_of``), not from
a list written here: nobody signed in is told to sign in, a role the rule leaves out is
refused, anyone it lets in is served (or told what is wrong with the request, never a
refusal nor a 5xx; a public route is never refused). Path parameters are real ids of northwind's, the lawyer's client.
Each session request is a new session (a sign-out route ends only its own), and every
change a session sends carries its CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.access import Rule
from app.archive import Archive
from app.main import create_app
from tests.app.test_access import PRINCIPALS, Who, World, headers_for, rule_routes, world_copy

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_SIGN_IN_REDIRECT = re.compile(r"/(login|signin|sign-in)")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world_copy(tmp_path_factory)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings)) as test_client:
        yield test_client


def _params(world: World) -> dict[str, str]:
    """A real value of northwind's for each path parameter the routes use (others get a harmless one)."""
    return {
        "item_id": str(world.ids["pdf"]),
        "page": "1",
        "tag": "absent-tag",  # removing a tag that is not there changes nothing
        "slug": "northwind",
        "job_id": str(world.jobs["northwind"]),
        "bundle_id": world.bundles["northwind"],
    }


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "0"), path)


def expected(rule: Rule, who: Who) -> str:
    """What the rule says ``who`` gets: ``allowed``, ``sign in`` or ``refused``."""
    if rule.roles is None:
        return "allowed"
    if who.role is None:
        return "sign in"
    if who.role not in rule.roles or (who.scoped and not rule.scoped):
        return "refused"
    return "allowed"


def _answer_class(response: Any) -> str:
    status = response.status_code
    if status >= 500:
        return f"error {status}"
    if status == 401 or (status in (302, 303, 307) and _SIGN_IN_REDIRECT.search(response.headers.get("location", ""))):
        return "sign in"
    if status == 403:
        return "refused"
    return "allowed"


def _ask(client: TestClient, archive: Archive, world: World, who: Who, method: str, path: str) -> Any:
    headers = headers_for(archive, who, unsafe=method in _UNSAFE)
    url = _fill(path, _params(world))
    if method in _UNSAFE:
        # a body no route can act on (a bundle is not built ×5): the answer says what the rule allowed
        if path.startswith("/api/"):
            return client.request(method, url, json={"__matrix__": 1}, headers=headers, follow_redirects=False)
        return client.request(method, url, data={"__matrix__": "1"}, headers=headers, follow_redirects=False)
    # every read gets a query to search for (the others ignore it)
    return client.request(method, url, params={"q": "invoice"}, headers=headers, follow_redirects=False)


@pytest.fixture(scope="module")
def answers(client: TestClient, world: World) -> dict[tuple[str, str, str], Any]:
    """Every principal's answer from every route, the owner first."""
    archive: Archive = client.app.state.archive  # type: ignore[attr-defined]
    found: dict[tuple[str, str, str], Any] = {}
    for label in ("owner", *(p for p in PRINCIPALS if p != "owner")):
        for method, path, _rule in rule_routes(client.app):  # type: ignore[arg-type]
            found[(label, method, path)] = _ask(client, archive, world, world.who(label), method, path)
    return found


def test_the_matrix_covers_every_route_and_principal(client: TestClient, answers: dict[Any, Any]) -> None:
    routes = rule_routes(client.app)  # type: ignore[arg-type]
    assert len(routes) >= 45
    assert len(answers) == len(routes) * len(PRINCIPALS)


@pytest.mark.parametrize("label", PRINCIPALS)
def test_each_route_answers_as_its_rule_says(
    client: TestClient, world: World, answers: dict[tuple[str, str, str], Any], label: str
) -> None:
    who = world.who(label)
    wrong = []
    for method, path, rule in rule_routes(client.app):  # type: ignore[arg-type]
        response = answers[(label, method, path)]
        want, got = expected(rule, who), _answer_class(response)
        if rule.roles is None and got != "refused" and not got.startswith("error"):
            continue  # a public route's own answer may be "sign in" (a wrong password, a sign-out's redirect)
        if want != got:
            wrong.append(f"{method} {path}: expected {want}, got {response.status_code} {response.text[:120]!r}")
        elif want == "allowed" and method == "GET" and rule.roles is not None:
            # a read someone may make answers them as it answers the owner (northwind's ids: in scope)
            owner = answers[("owner", method, path)]
            if response.status_code != owner.status_code:
                wrong.append(f"GET {path}: {response.status_code}, the owner got {owner.status_code}")
    assert not wrong, "\n".join(wrong)


def test_the_matrix_reaches_real_answers(answers: dict[tuple[str, str, str], Any], world: World) -> None:
    """The ids are real: reads are served (not 404s that would pass for a refusal of scope)."""
    for label in ("owner", "lawyer", "lawyer_token"):
        for path in ("/api/items/{item_id}", "/api/items/{item_id}/original", "/api/bundles/{bundle_id}",
                     "/api/jobs/{job_id}", "/api/clients/{slug}/timeline", "/items/{item_id}",
                     "/api/items/{item_id}/pages/{page}/preview.png", "/clients/{slug}"):
            assert answers[(label, "GET", path)].status_code == 200, (label, path)
    refused = answers[("lawyer", "POST", "/api/items/{item_id}/tags")]
    assert refused.json() == {"detail": "a lawyer's access is read-only"}
    assert answers[("nobody", "GET", "/api/items")].json() == {"detail": "sign in to use Casefile"}
    assert answers[("member", "POST", "/api/verify-archive")].status_code == 202
    assert answers[("nobody", "GET", "/health")].status_code == 200
