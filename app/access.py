"""Who may do what: one dependency decides access for every route and page.

Each route declares its rule next to its definition (``@reads``, ``@writes``,
``@owners``, ``@public``, ``@exports``); ``authorize``, installed on the whole app, looks
that rule up on the matched endpoint and refuses what it does not allow. A route without
a rule is refused (and a test walks the route table so none is ever added without one).

Who is asking:
- a bearer token (``Authorization: Bearer cf_…``), for scripts;
- a session cookie, for people signed in;
- nobody, which is the single-user **local mode** while the archive has no accounts (the
  ``make run`` laptop): then requests must name the machine itself in ``Host`` (DNS
  rebinding) and changes must come from Casefile's own pages (``Origin``).

A lawyer reads only the clients granted to them: a path naming another client's item,
job or bundle is 404 (its existence is not told), list routes pass ``principal.clients``
to the services, and each view or download they make is a ``disclosed`` custody entry.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import col, select

from .accounts.common import STAFF
from .accounts.sessions import COOKIE, session_user
from .accounts.tokens import token_user
from .accounts.users import active_clients, any_users
from .archive import ACTOR, Archive
from .bundle.manifest import export_records
from .errors import Forbidden, ItemNotFound, NotFound, NotSignedIn
from .models import Client, Item, Job

__all__ = [
    "Principal",
    "PrincipalDep",
    "Rule",
    "authorize",
    "exports",
    "owners",
    "principal_of",
    "public",
    "reads",
    "rule_of",
    "staff",
    "writes",
]

F = TypeVar("F", bound=Callable[..., Any])
_RULE_ATTR = "__casefile_access__"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READERS = frozenset({"owner", "member", "lawyer"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Rule:
    """What a route allows: which roles (``None``: anyone, signed in or not) and what a lawyer's use discloses."""

    roles: frozenset[str] | None
    disclose: str | None = None  # "item", "original", "bundle", "search", "timeline"...
    # False: the route shows the whole archive at once (every client's jobs, the upload page),
    # so a principal limited to some clients (a lawyer, a token for one client) may not use it
    scoped: bool = True


def _rule(rule: Rule) -> Callable[[F], F]:
    def mark(endpoint: F) -> F:
        setattr(endpoint, _RULE_ATTR, rule)
        return endpoint

    return mark


def public(endpoint: F) -> F:
    """Anyone may call it, signed in or not (sign-in pages, health, the favicon)."""
    return _rule(Rule(roles=None))(endpoint)


def reads(disclose: str | None = None) -> Callable[[F], F]:
    """Any signed-in person; a lawyer within their clients (and their use is recorded as ``disclose``)."""
    return _rule(Rule(roles=READERS, disclose=disclose))


def writes(endpoint: F) -> F:
    """The firm's own people (owners and members): changes to the evidence."""
    return _rule(Rule(roles=STAFF))(endpoint)


def exports(endpoint: F) -> F:
    """Staff, and a lawyer for their own client: building a bundle changes no evidence."""
    return _rule(Rule(roles=READERS, disclose="export"))(endpoint)


def staff(endpoint: F) -> F:
    """The firm's own people only, also for reading (the jobs of every client, the upload page);
    not a token limited to one client, which these whole-archive views would overstep."""
    return _rule(Rule(roles=STAFF, scoped=False))(endpoint)


def owners(endpoint: F) -> F:
    """Owners only: accounts and sharing."""
    return _rule(Rule(roles=frozenset({"owner"})))(endpoint)


def rule_of(endpoint: Callable[..., Any]) -> Rule | None:
    """The rule a route's endpoint declares, if it declares one."""
    return getattr(endpoint, _RULE_ATTR, None)


@dataclass(frozen=True)
class Principal:
    """Who is asking. ``clients`` is ``None`` for everyone but a lawyer (all clients)."""

    kind: str  # local | session | token
    role: str
    name: str  # the e-mail address, the token's name, or the local user's
    clients: frozenset[str] | None = None
    csrf_token: str | None = None  # the value a session's forms carry
    user_id: int | None = None

    @property
    def is_lawyer(self) -> bool:
        return self.clients is not None

    def sees(self, client: str) -> bool:
        """Whether this principal may read ``client``'s evidence."""
        return self.clients is None or client in self.clients

    def within(self) -> Collection[str] | None:
        """The clients list routes are limited to (``None``: no limit)."""
        return self.clients


def principal_of(request: Request) -> Principal:
    """The principal ``authorize`` found for this request."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # only public routes run without one, and they do not ask
        raise NotSignedIn("sign in first")
    return principal  # type: ignore[no-any-return]


PrincipalDep = Annotated[Principal, Depends(principal_of)]


def _host(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _identify(archive: Archive, request: Request) -> Principal | None:
    """The principal of a bearer token, a session cookie, or local mode; ``None`` when sign-in is needed."""
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        found = token_user(archive, secret.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise NotSignedIn("the API token is not valid (unknown, expired or revoked)")
        clients = frozenset({found.client}) if found.client else None
        if found.role == "lawyer" or clients is not None:
            clients = clients or frozenset()
        return Principal(kind="token", role=found.role, name=f"token:{found.name}", clients=clients)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        signed = session_user(archive, cookie)
        if signed is not None:
            clients = None
            if signed.role == "lawyer":
                with archive.read() as session:
                    clients = frozenset(active_clients(session, signed.user_id))
            return Principal(kind="session", role=signed.role, name=signed.email, clients=clients,
                             csrf_token=signed.csrf_token, user_id=signed.user_id)
    if any_users(archive):
        return None
    if _host(request) not in archive.settings.local_hosts:
        # a page elsewhere whose name now points here (DNS rebinding): it gets nothing
        raise HTTPException(400, "this address does not name this machine; open Casefile at http://127.0.0.1")
    return Principal(kind="local", role="owner", name=archive.settings.actor)


def _check_origin(request: Request) -> None:
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if (site and site not in ("same-origin", "none")) or (
        origin and origin != f"{request.url.scheme}://{request.url.netloc}"
    ):
        raise HTTPException(403, "changes to the archive are only accepted from Casefile's own pages")


def _is_plain_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


async def _check_csrf(request: Request, principal: Principal) -> None:
    """A signed-in browser's change must carry its session's token (a header, the query, or a plain form field)."""
    if principal.kind != "session":
        return  # local mode has the origin check; a bearer token is never sent by a browser on its own
    sent = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD)
    if not sent and _is_plain_form(request):
        sent = str((await request.form()).get(CSRF_FIELD, ""))  # cached: the route reads the same form
    if not sent or not principal.csrf_token or not secrets.compare_digest(sent, principal.csrf_token):
        raise HTTPException(403, "this form has expired or did not come from Casefile: reload the page and try again")


def _client_of_item(archive: Archive, item_id: int) -> str | None:
    with archive.read() as session:
        row = session.exec(
            select(Client.slug).join(Item, col(Item.client_id) == col(Client.id)).where(Item.id == item_id)
        ).first()
        return row


def _clients_of_bundle(archive: Archive, bundle_id: str) -> set[str]:
    return {str(details.get("client", "")) for details in export_records(archive, bundle_id)}


def _client_of_job(archive: Archive, job_id: int) -> str | None:
    with archive.read() as session:
        job = session.get(Job, job_id)
        if job is None:
            return None
        if job.item_id is not None:
            return _client_of_item(archive, job.item_id)
        client = json.loads(job.params_json).get("client")
        return str(client) if client else None


def _check_scope(
    archive: Archive, request: Request, principal: Principal, form_clients: Collection[str] = ()
) -> str | None:
    """For a lawyer: 404 for anything outside their clients; returns the client the request is about.

    What a request can name: an item, job or bundle in its path, a job in ``?job=`` (the
    export and verify pages), a client in its path, in ``?client=`` or in a form's
    ``client`` field (``form_clients``; every value, not only the one a route reads).
    """
    params = request.path_params
    about: str | None = None
    if "item_id" in params:
        about = _client_of_item(archive, _int(params["item_id"]))
        if about is None or not principal.sees(about):
            raise ItemNotFound(_int(params["item_id"]))
    for job_id in [params[k] for k in ("job_id",) if k in params] + request.query_params.getlist("job"):
        about = _client_of_job(archive, _int(job_id))
        if about is None or not principal.sees(about):
            raise NotFound(f"no job with id {str(job_id)[:40]}")
    if "bundle_id" in params:
        owners_ = _clients_of_bundle(archive, str(params["bundle_id"]))
        if not owners_ or not all(principal.sees(c) for c in owners_):
            raise NotFound(f"no bundle '{str(params['bundle_id'])[:80]}'")
        about = next(iter(owners_))
    for named in (params.get("slug"), *request.query_params.getlist("client"), *form_clients):
        if named:
            if not principal.sees(str(named)):
                raise NotFound(f"no client '{str(named)[:80]}'")
            about = str(named)
    return about


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1  # no item has it: the route's own validation answers


def _disclose(archive: Archive, request: Request, principal: Principal, what: str, client: str | None) -> None:
    """A lawyer was shown something: a custody entry naming them, what and (for a search) the query.

    A request about no one client (a search of all of a lawyer's clients) is an entry in
    each of their clients' records, so every client's access log shows it.
    """
    params = request.path_params
    query = request.query_params.get("q")
    if what == "search" and not query:
        return  # the empty search form shows nothing
    item_id = _int(params["item_id"]) if "item_id" in params else None
    clients = [client] if client else sorted(principal.clients or ())
    with archive.write(principal.name) as uow:
        for shown in clients:
            details: dict[str, Any] = {"to": principal.name, "what": what, "client": shown, "path": request.url.path}
            if what == "search":
                details["query"] = str(query)[:500]
            uow.ledger.append(actor=principal.name, action="disclosed", item_id=item_id, details=details)


def _decide(archive: Archive, request: Request, rule: Rule, form_clients: Collection[str] = ()) -> Principal | None:
    principal = _identify(archive, request)
    if rule.roles is None:
        return principal
    if principal is None:
        raise NotSignedIn("sign in to use Casefile")
    if principal.role not in rule.roles:
        if principal.role != "lawyer":
            raise Forbidden("only an owner of the archive may do this")
        if request.method in _SAFE_METHODS:  # a staff page (every client's jobs, uploading)
            raise Forbidden("this page is for the archive's owners and members; a lawyer's access is to their clients")
        raise Forbidden("a lawyer's access is read-only")
    if principal.is_lawyer and not rule.scoped:
        raise Forbidden("this shows every client's work; this access is limited to some clients' matters")
    if principal.is_lawyer:
        about = _check_scope(archive, request, principal, form_clients)
        if rule.disclose:
            _disclose(archive, request, principal, rule.disclose, about)
    return principal


async def authorize(request: Request) -> None:
    """The one access check, installed on every route of the app (see the module's docstring)."""
    route = request.scope.get("route")
    rule = rule_of(getattr(route, "endpoint", None)) if route is not None else None
    if rule is None:  # fail closed: a route nobody gave a rule serves nobody
        raise Forbidden("this address has no access rule")
    archive: Archive = request.app.state.archive
    form_clients: list[str] = []
    if request.method not in _SAFE_METHODS:
        _check_origin(request)
        if _is_plain_form(request):  # cached: the route reads the same form (multipart is streamed, never here)
            form_clients = [str(v) for v in (await request.form()).getlist("client")]
    principal = await run_in_threadpool(_decide, archive, request, rule, form_clients)
    if principal is not None and request.method not in _SAFE_METHODS and rule.roles is not None:
        await _check_csrf(request, principal)
    request.state.principal = principal
    # who the custody entries of this request name (app.archive reads it as the default actor)
    ACTOR.set(principal.name if principal is not None and principal.kind != "local" else None)

