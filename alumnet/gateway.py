"""The dev-mode gateway: one WSGI app that routes ``/api/v1/<service>/...`` to each service's
app unchanged, and every other path to the web portal, like the nginx gateway in deployment.
``/dev`` is an index of the API docs and the outbox; ``/docs`` is the platform's API docs (the
members api's page, as nginx serves it); ``/healthz`` answers for the gateway."""
from __future__ import annotations

import html
import json
from typing import Callable

INDEX_PATH = "/dev"
DOCS_PATH, PLATFORM_DOCS = "/docs", "/api/v1/members/docs/platform"


class Gateway:
    def __init__(self, apps: dict[str, Callable], index_html: str, portal: Callable | None = None):
        """``portal``: the app served at ``/`` (without one, ``/`` is the index)."""
        self.apps = apps
        self.index_html = index_html
        self.portal = portal

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == DOCS_PATH and "members" in self.apps:
            return self.apps["members"]({**environ, "PATH_INFO": PLATFORM_DOCS}, start_response)
        parts = path.split("/")
        if len(parts) >= 4 and parts[1] == "api" and parts[2] == "v1" and parts[3] in self.apps:
            return self.apps[parts[3]](environ, start_response)
        if path == INDEX_PATH or (path == "/" and self.portal is None):
            body = self.index_html.encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        if path == "/healthz":
            return self._json(start_response, "200 OK", {"status": "ok"}, "application/json")
        if self.portal is not None and not path.startswith("/api/"):
            return self.portal(environ, start_response)
        return self._json(start_response, "404 Not Found", {
            "type": "about:blank", "title": "Not Found", "status": 404,
            "detail": "No service is mounted at this path.", "instance": path,
        }, "application/problem+json")

    @staticmethod
    def _json(start_response, status: str, body: dict, content_type: str):
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]


def index_page(base_url: str, services: list[str], outbox_dir: str) -> str:
    rows = "".join(
        f'<li><b>{s}</b>: <a href="/api/v1/{s}/docs">API docs</a> · '
        f'<a href="/api/v1/{s}/openapi.json">OpenAPI</a></li>' for s in services)
    return (f"<!doctype html><meta charset=utf-8><title>Alumnet dev</title>"
            f"<h1>Alumnet (dev mode)</h1><p>Gateway: {html.escape(base_url)} · "
            f'<a href="{DOCS_PATH}">the API docs of every service</a> · '
            f'<a href="/">the portal</a></p><ul>{rows}</ul>'
            f"<p>Email and SMS are written to <code>{html.escape(outbox_dir)}</code>.</p>")
