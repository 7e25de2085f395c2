"""Who may use the page: the holder of the session's token.

The URL the server prints carries the token once (``/?token=...``); the page then keeps it in
a cookie of its own (HttpOnly, SameSite=Strict) for reads (the page, audio, pictures) and sends
it in the ``X-Chromatic-Token`` header with every write, which a page of another site cannot
do; a write without that header is refused whatever cookies come with it. Every answer carries
a Content-Security-Policy that lets the page load only from this server.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER: Final = "x-chromatic-token"
SECURITY_HEADERS: Final = (
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self'; media-src 'self'; script-src 'self'; "
        b"style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        b"form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
READ_REFUSED: Final = (
    "this page needs its session token: open the URL that `chromatic review RUN --web` "
    "printed (it ends in ?token=...)"
)
WRITE_REFUSED: Final = (
    "a change needs the session token in the X-Chromatic-Token header (the page sends it); "
    "reload the page from the URL `chromatic review RUN --web` printed"
)


class AccessDenied(Exception):
    """A request without the session's token (answered with 403 and the text)."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Access:
    """The session's token and the cookie that carries it (named after the token, so two
    sessions on one host keep their own)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.cookie = "chromatic_" + hashlib.sha256(token.encode()).hexdigest()[:12]

    def _matches(self, given: str | None) -> bool:
        return given is not None and secrets.compare_digest(given.encode(), self.token.encode())

    def url_token(self, request: Request) -> bool:
        """The request carries the token in its URL (the printed link)."""
        return self._matches(request.query_params.get("token"))

    def check_read(self, request: Request) -> None:
        if not (self._matches(request.cookies.get(self.cookie)) or self.url_token(request)):
            raise AccessDenied(READ_REFUSED)

    def check_write(self, request: Request) -> None:
        if not self._matches(request.headers.get(HEADER)):
            raise AccessDenied(WRITE_REFUSED)


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)
