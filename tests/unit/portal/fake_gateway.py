"""A fake gateway for the portal's page tests: answers the portal's HTTP calls with
programmed responses and records every call, so a test can say what the API returned and
check what the page sent and showed."""
from __future__ import annotations

import json as jsonlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import requests


@dataclass
class Call:
    method: str
    path: str
    headers: dict
    json: Any
    params: Any
    data: Any
    files: Any


class FakeResponse:
    def __init__(self, status: int, body: Any = None, headers: dict | None = None, content: bytes | None = None):
        self.status_code = status
        if content is None:
            content = b"" if body is None else jsonlib.dumps(body).encode()
            ctype = "application/problem+json" if status >= 400 else "application/json"
        else:
            ctype = "application/octet-stream"
        self.headers = requests.structures.CaseInsensitiveDict({"Content-Type": ctype, **(headers or {})})
        self.content = content


@dataclass
class FakeGateway:
    base_url: str = "http://gateway.test"
    routes: list = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    down: bool = False

    def on(self, method: str, path: str, status: int = 200, body: Any = None, *, headers: dict | None = None,
           content: bytes | None = None, respond: Callable[[Call], FakeResponse] | None = None) -> None:
        """Answer ``method path`` (a regex matched against the whole path); later rules win."""
        self.routes.insert(0, (method, re.compile(path + r"\Z"),
                               respond or (lambda call: FakeResponse(status, body, headers, content))))

    def problem(self, method: str, path: str, status: int, kind: str, detail: str = "",
                errors: dict | None = None, **extra) -> None:
        body = {"type": f"https://alumnet.dev/problems/{kind}", "title": kind, "status": status,
                "detail": detail, **({"errors": errors} if errors else {}), **extra}
        self.on(method, path, status, body)

    def request(self, method, url, headers=None, json=None, params=None, data=None, files=None, timeout=None,
                allow_redirects=True):
        if self.down:
            raise requests.ConnectionError("the fake gateway is down")
        path = url[len(self.base_url):].split("?")[0]
        call = Call(method, path, dict(headers or {}), json, params, data, files)
        self.calls.append(call)
        for rule_method, pattern, respond in self.routes:
            if rule_method == method and pattern.match(path):
                return respond(call)
        return FakeResponse(404, {"type": "https://alumnet.dev/problems/not-found", "status": 404,
                                  "title": "Not Found", "detail": f"no fake for {method} {path}"})

    def sent(self, method: str, path: str) -> list[Call]:
        pattern = re.compile(path + r"\Z")
        return [c for c in self.calls if c.method == method and pattern.match(c.path)]

    def exports(self, member_id: str, **parts: Any) -> None:
        """Answer the data exports of ``member_id`` by the four services (``members``,
        ``events``, ``awards``, ``notifications``): a part's body as given (a dict), a problem
        for an int (its status), and ``{"service": <name>}`` for a part not named."""
        for service in EXPORT_SERVICES:
            path = f"/api/v1/members/{member_id}/export" if service == "members" \
                else f"/api/v1/{service}/members/{member_id}/export"
            answer = parts.get(service, {"service": service})
            if isinstance(answer, int):
                self.problem("GET", path, answer, PROBLEM_KINDS.get(answer, "unavailable"), "no")
            else:
                self.on("GET", path, 200, answer)


EXPORT_SERVICES = ("members", "events", "awards", "notifications")
PROBLEM_KINDS = {403: "forbidden", 404: "not-found"}
