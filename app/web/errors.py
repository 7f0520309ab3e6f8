"""Error pages for people: a page route's 404, 422 or 500 is an HTML page, /api keeps its JSON.

The status a domain error maps to is decided once, by ``app.api.errors``: the page handler
asks that handler for its response and keeps only its status code, so a page and the API
never disagree about what a ``NotFound`` is. One exception: a page that needs a signed-in
person sends the browser to the login page (and back here afterwards), where the API says
401 with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import CasefileError, NotSignedIn
from .templating import page

__all__ = ["error_page", "install_page_errors", "is_page_request", "login_url"]

# Machine-facing addresses: their errors stay JSON (or whatever their framework sends).
_MACHINE_PATHS = {"/api", "/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
_MACHINE_PREFIXES = ("/api/", "/static/", "/docs/")

_TITLES = {
    404: "Page not found",
    422: "That request could not be used",
    500: "Something went wrong",
}
_PLAIN = {
    404: "There is nothing at this address. It may have been mistyped, or the item or client may not exist.",
    405: "This address cannot be used that way.",
    500: "Casefile hit an unexpected problem and could not show this page. Nothing in the archive was changed "
         "by it; try again, and if it keeps happening, the server's log says what went wrong.",
}

DomainHandler = Callable[[Request, Exception], Awaitable[Response]]


def is_page_request(request: Request) -> bool:
    """Whether ``request`` is for a page a person reads (not the API, the docs or a static file)."""
    path = request.url.path
    return path not in _MACHINE_PATHS and not path.startswith(_MACHINE_PREFIXES)


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The error page: what went wrong in words (escaped like everything else) and a way home."""
    title = _TITLES.get(status_code) or HTTPStatus(status_code).phrase
    context = {"status_code": status_code, "title": title, "message": message}
    return page(request, "error.html", context, status_code=status_code)


def login_url(next_path: str | None) -> str:
    """The login page's address, coming back to ``next_path`` (a path on this site) afterwards."""
    return "/login?" + urlencode({"next": next_path}) if next_path and next_path != "/" else "/login"


def _path_of(url: str) -> str | None:
    """The path and query of ``url`` (the login page checks it is a path of this site before going there)."""
    parts = urlsplit(url)
    return (parts.path + (f"?{parts.query}" if parts.query else "")) or None


def _sign_in_first(request: Request) -> Response:
    """A page that needs a signed-in person: to the login page, which brings the browser back here."""
    if request.headers.get("hx-request"):
        # htmx (a fragment polling) would put the login page inside the fragment: it is told to move the whole page
        back = _path_of(request.headers.get("hx-current-url", ""))
        return Response(status_code=401, headers={"HX-Redirect": login_url(back)})
    if request.method in ("GET", "HEAD"):
        back = _path_of(str(request.url))
    else:  # a form posted after the session lapsed: back to the page it was on, not to the POST
        back = _path_of(request.headers.get("referer", ""))
    return RedirectResponse(login_url(back), status_code=303)


def _http_message(exc: StarletteHTTPException) -> str:
    detail = exc.detail if isinstance(exc.detail, str) else ""
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = ""
    if not detail or detail == phrase:  # the framework's default wording: say it for people
        return _PLAIN.get(exc.status_code, phrase or "The request could not be completed.")
    return detail


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = [str(part) for part in error.get("loc", ()) if part not in ("path", "query", "body", "header")]
        name = ".".join(where) or "the request"
        given = error.get("input")
        shown = f"'{given}' is not a valid {name}" if isinstance(given, str | int) else f"{name} is not valid"
        reason = str(error.get("msg", "")).rstrip(".")
        problems.append(f"{shown}: {reason[:1].lower()}{reason[1:]}." if reason else f"{shown}.")
    return " ".join(problems) or "The request could not be used."


def install_page_errors(app: FastAPI) -> None:
    """HTML error pages for page routes; install after ``app.api.errors.install_error_handlers``."""
    domain_json: DomainHandler = app.exception_handlers[CasefileError]  # KeyError: installed in the wrong order

    @app.exception_handler(CasefileError)
    async def _domain(request: Request, exc: CasefileError) -> Response:
        response = await domain_json(request, exc)
        if not is_page_request(request):
            if isinstance(exc, NotSignedIn):
                response.headers["WWW-Authenticate"] = 'Bearer realm="casefile"'
            return response
        if isinstance(exc, NotSignedIn):
            return _sign_in_first(request)
        return error_page(request, response.status_code, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page_request(request):
            return await http_exception_handler(request, exc)
        response = error_page(request, exc.status_code, _http_message(exc))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not is_page_request(request):
            return await request_validation_exception_handler(request, exc)
        return error_page(request, 422, _validation_message(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Starlette logs the traceback and re-raises after this answer; a person sees no internals.
        if not is_page_request(request):
            return JSONResponse({"detail": "internal server error"}, status_code=500)
        return error_page(request, 500, _PLAIN[500])
