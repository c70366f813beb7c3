"""What the chat's server refuses before Gradio sees a request.

- Uploads: the chat takes none, but Gradio offers upload routes to every app.
- Requests naming another host: a web page can rebind its own DNS name to 127.0.0.1 and then
  read a loopback server as if it were its own site; such requests carry the page's host name.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Awaitable, Callable

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
UPLOAD_ROUTES = frozenset({"upload", "upload_progress", "process_recording"})


def is_loopback(host: str) -> bool:
    """True for a name or address that only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a Host header, without its port: ``[::1]:7860`` → ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """ASGI middleware: refuse every upload, and requests whose Host is not in ``hosts``.

    ``hosts`` is None when the server is reached by names it cannot know (a public bind,
    which needs a password instead); it may grow after start (the share link's name).
    """

    def __init__(self, app: ASGIApp, hosts: set[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            reason = self.refusal(scope)
            if reason:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": reason})
                    return
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                await send({"type": "http.response.body", "body": reason.encode()})
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> str:
        """Why a request is refused, or "" to serve it."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.hosts is not None and host_name(headers.get("host", "")) not in self.hosts:
            return "This server answers only to its own address (for example http://127.0.0.1:PORT/)."
        last = scope.get("path", "").rstrip("/").rsplit("/", 1)[-1]
        form = headers.get("content-type", "").lower().startswith("multipart/")
        if last in UPLOAD_ROUTES or (form and last != "login"):  # Gradio's log-in page posts a form
            return "This chat takes no uploads."
        return ""
