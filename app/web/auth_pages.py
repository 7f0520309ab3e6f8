"""Signing in and out, a lawyer's sign-in link, and (for owners) sharing a client and its access log.

The session lives in an HttpOnly, SameSite=Lax cookie (Secure over https) holding a random
token; the archive keeps only its hash (app.accounts.sessions). After signing in the
browser goes back to the page that asked, but only to a path on this site: ``next`` is
never allowed to send a person elsewhere (an "open redirect" a phishing mail would use).

A lawyer's link is opened with GET and used with the button on that page (POST): mail
scanners and link previews fetch every link in a message, and a one-time link they fetched
would be used up before the lawyer ever clicked it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import items
from ..access import CSRF_HEADER, PrincipalDep, owners, public
from ..accounts.common import as_utc, parse_duration
from ..accounts.sessions import COOKIE, SignedIn, end_session, sign_in
from ..accounts.sharing import (
    LINK_REFUSED,
    access_log,
    grants_for_client,
    revoke_share,
    share_client,
    signin_link_usable,
    use_signin_link,
)
from ..accounts.users import active_clients, any_users
from ..api.deps import ArchiveDep
from ..archive import Archive
from ..errors import ClientNotFound, InvalidInput, NotFound, TooManyAttempts
from .errors import error_page
from .templating import page

__all__ = ["SHARE_DURATIONS", "router", "safe_next"]

router = APIRouter(include_in_schema=False)

# What the sharing form offers (a person picks a term; the CLI takes any "30d", "12h"…)
SHARE_DURATIONS = {"7d": "1 week", "14d": "2 weeks", "30d": "30 days", "90d": "90 days", "180d": "6 months"}
_DEFAULT_DURATION = "30d"
_NO_STORE = {"Cache-Control": "no-store"}  # pages with a secret (a link) or a form for one
# after signing in, these would only show the login page again (or sign out at once)
_NOT_AFTER_LOGIN = ("/login", "/logout", "/signin/")

FormText = Annotated[str, Form()]


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site (``/clients/northwind?page=2``), else ``/``.

    Refused: absolute URLs, ``//host`` and ``/\\host`` (both mean another host to a browser),
    control characters (browsers drop tabs and newlines, turning ``/\\t/host`` into ``//host``).
    """
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(_NOT_AFTER_LOGIN):
        return "/"
    return value


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _start_browser_session(request: Request, archive: Archive, response: Response, token: str) -> None:
    """Puts the new session's token in the cookie, ending the session this browser had before (if any)."""
    previous = request.cookies.get(COOKIE)
    if previous and previous != token:
        end_session(archive, previous)
    response.set_cookie(
        COOKIE, token, max_age=archive.settings.session_max_hours * 3600, path="/",
        httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )


def _forget_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")


def _login_page(
    request: Request, archive: Archive, *, next_path: str, email: str = "", problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "next": next_path, "email": email, "problem": problem,
        "local_mode": not any_users(archive), "signed_out": request.query_params.get("signed_out") == "1",
    }
    return page(request, "login.html", context, status_code=status_code)


@router.get("/login", response_class=HTMLResponse)
@public
def login_page(
    request: Request, archive: ArchiveDep, next_path: Annotated[str, Query(alias="next")] = ""
) -> HTMLResponse:
    """The sign-in form (e-mail address and password)."""
    response = _login_page(request, archive, next_path=safe_next(next_path))
    response.headers.update(_NO_STORE)
    return response


@router.post("/login", response_class=HTMLResponse)
@public
def login(
    request: Request, archive: ArchiveDep, email: FormText = "", password: FormText = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Signs in and goes back to the page that asked; a refusal is the form again with the reason (401, 429)."""
    going = safe_next(next_path)
    try:
        token, _signed = sign_in(archive, email=email, password=password, address=_address(request))
    except TooManyAttempts as exc:
        return _login_page(request, archive, next_path=going, email=email, problem=str(exc), status_code=429)
    except InvalidInput as exc:
        return _login_page(request, archive, next_path=going, email=email, problem=str(exc), status_code=401)
    response = RedirectResponse(going, status_code=303)
    _start_browser_session(request, archive, response, token)
    return response


@router.post("/logout")
@public
def logout(request: Request, archive: ArchiveDep, csrf_token: FormText = "") -> Response:
    """Ends this browser's session and forgets its cookie."""
    principal = getattr(request.state, "principal", None)
    token = request.cookies.get(COOKIE)
    if principal is not None and principal.kind == "session" and token:
        # public (a lapsed session can still sign out), so the access check leaves the token to us
        sent = request.headers.get(CSRF_HEADER) or csrf_token
        if not secrets.compare_digest(sent.encode(), (principal.csrf_token or "").encode()):
            return error_page(request, 403, "this form has expired or did not come from Casefile: reload the page")
        end_session(archive, token)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    _forget_cookie(request, response)
    return response


@router.get("/signin/{token}", response_class=HTMLResponse)
@public
def signin_link_page(request: Request, archive: ArchiveDep, token: str) -> Response:
    """What a lawyer's link opens: a button that uses it (a link preview fetching the page uses nothing)."""
    if not signin_link_usable(archive, secret=token):  # say so now, not after the button
        return error_page(request, 404, LINK_REFUSED)
    response = page(request, "signin.html", {"token": token, "problem": None})
    response.headers.update(_NO_STORE)
    return response


@router.post("/signin/{token}")
@public
def use_signin_link_page(request: Request, archive: ArchiveDep, token: str) -> Response:
    """Uses the one-time link: a session, then the lawyer's client; a used or expired link is a 404 page."""
    try:
        session_token, signed = use_signin_link(archive, secret=token, address=_address(request))
    except NotFound as exc:
        return page(request, "signin.html", {"token": None, "problem": str(exc)}, status_code=404)
    response = RedirectResponse(_lawyers_home(archive, signed), status_code=303)
    _start_browser_session(request, archive, response, session_token)
    return response


def _lawyers_home(archive: Archive, signed: SignedIn) -> str:
    """The client page when the lawyer has one client, the list of theirs when more."""
    with archive.read() as session:
        clients = active_clients(session, signed.user_id)
    return f"/clients/{quote(clients[0])}" if len(clients) == 1 else "/"


def _client_name(archive: Archive, slug: str) -> str:
    name = next((c.name for c in items.list_clients(archive) if c.slug == slug), None)
    if name is None:
        raise ClientNotFound(slug)
    return name


def _in_zone(archive: Archive) -> Any:
    zone = ZoneInfo(archive.settings.timezone)

    def local(value: datetime | str | None) -> datetime | None:
        """A stored UTC instant in the archive's time zone (what the person reads)."""
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return as_utc(moment).astimezone(zone)

    return local


def _sharing_page(
    request: Request, archive: Archive, slug: str, *, local_mode: bool, shared: Any = None,
    problem: str | None = None, entered: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:
    context = {
        "client": slug, "client_name": _client_name(archive, slug), "grants": grants_for_client(archive, client=slug),
        "durations": SHARE_DURATIONS, "shared": shared, "problem": problem, "local_mode": local_mode,
        "entered": entered or {"email": "", "expires": _DEFAULT_DURATION},
        "revoked": request.query_params.get("revoked", "")[:200], "local": _in_zone(archive),
    }
    response = page(request, "sharing.html", context, status_code=status_code)
    response.headers.update(_NO_STORE)
    return response


_NEEDS_ACCOUNT = (
    "Sharing needs accounts: on this computer nobody signs in yet, and giving a lawyer an account would lock "
    "you out. Create your own first (casefile user add you@example.com --role owner), then sign in and share."
)


@router.get("/clients/{slug}/sharing", response_class=HTMLResponse)
@owners
def sharing_page(request: Request, archive: ArchiveDep, principal: PrincipalDep, slug: str) -> HTMLResponse:
    """Who has access to this client's matter, and a form to give a lawyer a link."""
    return _sharing_page(request, archive, slug, local_mode=principal.kind == "local")


@router.post("/clients/{slug}/sharing", response_class=HTMLResponse)
@owners
def share(
    request: Request, archive: ArchiveDep, principal: PrincipalDep, slug: str, email: FormText = "",
    expires: FormText = _DEFAULT_DURATION,
) -> HTMLResponse:
    """Gives the lawyer read-only access and shows their sign-in link, this once."""
    entered = {"email": email, "expires": expires}
    local_mode = principal.kind == "local"
    if local_mode:
        return _sharing_page(request, archive, slug, local_mode=True, problem=_NEEDS_ACCOUNT, entered=entered,
                             status_code=409)
    try:
        shared = share_client(archive, client=slug, email=email, expires_in=parse_duration(expires))
    except InvalidInput as exc:
        return _sharing_page(request, archive, slug, local_mode=False, problem=str(exc), entered=entered,
                             status_code=422)
    return _sharing_page(request, archive, slug, local_mode=False, shared=shared)


@router.post("/clients/{slug}/sharing/revoke")
@owners
def revoke(archive: ArchiveDep, slug: str, email: FormText = "") -> Response:
    """Ends a lawyer's access now: their next request is refused."""
    revoked = revoke_share(archive, client=slug, email=email)
    return RedirectResponse(f"/clients/{quote(slug)}/sharing?revoked={quote(revoked.email)}#grants", status_code=303)


@router.get("/clients/{slug}/access", response_class=HTMLResponse)
@owners
def access_log_page(request: Request, archive: ArchiveDep, slug: str) -> HTMLResponse:
    """Everything shown to a lawyer from this client's matter, and the sharing itself, newest first."""
    context = {
        "client": slug, "client_name": _client_name(archive, slug), "entries": access_log(archive, client=slug),
        "local": _in_zone(archive),
    }
    return page(request, "access_log.html", context)
