"""What every answer of the web view goes through: only GET/HEAD, credentials when configured,
and headers that keep a browser from running anything but our own markup."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse

from monitor.settings import WebAuth

# No script may run at all (there is none); inline styles are allowed because the pages reuse the
# digest's cards, which carry their styles inline for email clients.
CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def authorized(headers: Headers, auth: WebAuth) -> bool:
    """No credentials configured (loopback only, see settings.check_exposure), a matching bearer
    token, or a matching basic-auth user and password; compared in constant time."""
    if not auth.configured:
        return True
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and auth.token and auth.token.get_secret_value():
        return secrets.compare_digest(value.strip().encode(), auth.token.get_secret_value().encode())
    if scheme.lower() == "basic" and auth.user and auth.password:
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        same_user = secrets.compare_digest(user.encode(), auth.user.encode())
        return secrets.compare_digest(password.encode(), auth.password.get_secret_value().encode()) and same_user
    return False


class Guard:
    """ASGI middleware: refuses writes and strangers, adds the security headers to every answer."""

    def __init__(self, app: Any, auth: WebAuth) -> None:
        self.app, self.auth = app, auth

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(HEADERS)
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            response = PlainTextResponse("read-only: only GET and HEAD\n", 405, headers={"Allow": "GET, HEAD"})
            return await response(scope, receive, send_secured)
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:  # no database takes a NUL
            response = PlainTextResponse("bad request: a NUL character in the URL\n", 400)
            return await response(scope, receive, send_secured)
        if not authorized(Headers(scope=scope), self.auth):
            response = PlainTextResponse("authentication required\n", 401,
                                         headers={"WWW-Authenticate": 'Basic realm="edu-monitor", charset="UTF-8"'})
            return await response(scope, receive, send_secured)
        await self.app(scope, receive, send_secured)
