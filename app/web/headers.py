"""Headers every response carries, whatever made it (a page, the API, a static file, an error)."""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RedactSignInLinks", "SecurityHeaders", "redact_access_log"]

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),  # a file is what its type says, never sniffed into HTML
    (b"referrer-policy", b"same-origin"),  # item ids in our URLs stay ours
    (b"x-frame-options", b"DENY"),  # no page of ours inside someone else's frame
)


class SecurityHeaders:
    """ASGI middleware adding ``_ALWAYS`` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _ALWAYS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RedactSignInLinks(logging.Filter):
    """Keeps one-time sign-in links out of the server's access log (the path is the secret)."""

    _LINK = re.compile(r"/signin/[^/?\s]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._LINK.sub("/signin/[redacted]", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def redact_access_log() -> None:
    """Installs ``RedactSignInLinks`` on uvicorn's access logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSignInLinks) for f in access.filters):
        access.addFilter(RedactSignInLinks())
