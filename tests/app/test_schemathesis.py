"""Schemathesis against the app's own OpenAPI schema: a lawyer's token, and nobody at all.

Cases are generated from ``app.openapi()`` (every /api operation) and sent through the
app (TestClient) on the access tests' world, where accounts exist. Bounded to stay fast:
a few examples per operation, a fixed seed, derandomized, no example database, no
shrinking. Whatever is generated: no answer is a 5xx; nobody gets nothing but the public
health check; the northwind lawyer's 2xx answers never hold bluebird's slug or item ids,
and with every path parameter pinned to one of bluebird's ids nothing answers 2xx at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from app.main import create_app
from tests.app.test_access import World, assert_nothing_of, world_copy

EXAMPLES = 6  # per operation and mode
_PUBLIC = {("GET", "/health")}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world_copy(tmp_path_factory)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def operations(client: TestClient) -> list[Any]:
    schema = schemathesis.openapi.from_dict(client.app.openapi())  # type: ignore[attr-defined]
    return [result.ok() for result in schema.get_all_operations()]


def _send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """The generated request, sent through the app's TestClient (so its lifespan is ours)."""
    sent = case.as_transport_kwargs(base_url="http://testserver")
    extra: dict[str, Any] = {}
    if sent.get("json") is not None:
        extra["json"] = sent["json"]
    if sent.get("files"):
        extra["files"] = [(name, _part(value)) for name, value in sent["files"]]
    data = sent.get("data")
    if isinstance(data, bytes | str):
        extra["content"] = data
    elif data:
        extra["data"] = data
    wanted = {k: v for k, v in sent["headers"].items() if k.lower() in ("content-type", "accept")}
    if "files" in extra:
        wanted.pop("Content-Type", None)  # httpx writes the multipart boundary itself
    return client.request(sent["method"], sent["url"], params=sent.get("params") or None,
                          headers={**wanted, **headers}, follow_redirects=False, **extra)


def _part(value: Any) -> tuple[Any, ...]:
    """A multipart file as httpx takes it (negative cases send numbers and text where a file goes)."""
    if isinstance(value, tuple):
        name, content, *rest = value
        return (name, content if isinstance(content, bytes) else str(content).encode(), *rest)
    return ("file", value if isinstance(value, bytes) else str(value).encode())


def _fuzz(operation: Any, check: Callable[[Any], None], mode: GenerationMode, **pinned: Any) -> None:
    @seed(20240515)
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, **pinned))
    def run(case: Any) -> None:
        check(case)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # nothing can be sent wrongly to an operation without parameters (GET /health)


def _pins(world: World, client: str) -> dict[str, Any]:
    """A real value of ``client``'s for each path parameter that names something of a client's."""
    item = world.ids["pdf"] if client == "northwind" else world.ids["bluebird"]
    return {"item_id": item, "slug": client, "job_id": world.jobs[client], "bundle_id": world.bundles[client]}


def _counted(found: dict[int, int]) -> Callable[[Any], Any]:
    def note(response: Any) -> Any:
        found[response.status_code] = found.get(response.status_code, 0) + 1
        return response

    return note


def test_a_lawyers_token_never_gets_a_5xx_nor_another_clients_data(
    client: TestClient, world: World, operations: list[Any]
) -> None:
    headers = {"Authorization": f"Bearer {world.secrets['lawyer_token']}"}
    statuses: dict[int, int] = {}
    note = _counted(statuses)

    def check(case: Any) -> None:
        response = note(_send(client, case, headers))
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        if response.status_code < 300:
            assert_nothing_of(world, response)

    own = _pins(world, "northwind")
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, check, mode)
        names = {p.name for p in operation.path_parameters}
        if names & own.keys():  # northwind's real ids, so the fuzzed queries and bodies reach real answers
            _fuzz(operation, check, GenerationMode.POSITIVE, path_parameters={k: own[k] for k in names & own.keys()})
    print(f"lawyer token, {len(operations)} operations: {dict(sorted(statuses.items()))}")
    assert statuses.get(200, 0) > 0 and statuses.get(403, 0) > 0 and statuses.get(422, 0) > 0


def test_a_lawyers_token_gets_no_2xx_for_another_clients_ids(
    client: TestClient, world: World, operations: list[Any]
) -> None:
    headers = {"Authorization": f"Bearer {world.secrets['lawyer_token']}"}
    pins = _pins(world, "bluebird")
    statuses: dict[int, int] = {}
    note = _counted(statuses)

    def check(case: Any) -> None:
        response = note(_send(client, case, headers))
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        assert response.status_code >= 300, (case.method, case.formatted_path, response.text[:300])

    pinned_ops = 0
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        if names & pins.keys():
            pinned_ops += 1
            _fuzz(operation, check, GenerationMode.POSITIVE,
                  path_parameters={k: v for k, v in pins.items() if k in names})
    print(f"lawyer token, bluebird's ids in {pinned_ops} operations: {dict(sorted(statuses.items()))}")
    assert pinned_ops >= 12 and statuses.get(404, 0) > 0


def test_nobody_gets_anything_but_the_health_check(client: TestClient, operations: list[Any]) -> None:
    statuses: dict[int, int] = {}
    note = _counted(statuses)

    def check(case: Any) -> None:
        response = note(_send(client, case, {}))
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        if (case.method.upper(), case.path) not in _PUBLIC:
            assert response.status_code == 401, (case.method, case.formatted_path, response.status_code)

    for operation in operations:
        _fuzz(operation, check, GenerationMode.POSITIVE)
    print(f"no credentials: {dict(sorted(statuses.items()))}")
    assert statuses.get(401, 0) > 0 and statuses.get(200, 0) > 0
