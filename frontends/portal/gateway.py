"""The portal's client of the gateway: every page gets its data from the public APIs here.

- ``api()`` is the client for the current request: it sends the signed-in member's access
  token (refreshed shortly before it expires, and once more on a 401), the browser's address
  (``X-Forwarded-For``, so the APIs' per-client limits count the person, not the portal) and
  the request id.
- An answer of 4xx becomes ``ApiProblem`` (with the problem's field errors), a gateway that
  cannot be reached or answers 502/503/504 becomes ``ApiDown`` (the friendly "try again" page)
  and a session that can no longer be refreshed becomes ``SignedOut`` (back to the login page).
- ``api().stream(path)`` is a GET whose answer's body is passed on as it arrives (downloads
  such as a survey's CSV export), with the same token handling and problems.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import requests
from flask import current_app, g, request, session

from frontends.portal.transport import Transport, Unreachable

REFRESH_MARGIN_S = 60
# A refresh token works once; two requests of one browser that refresh at the same moment
# would present it twice, which the members service treats as theft. Each process remembers
# what it got for a refresh token for a minute and hands that to the second request.
_ROTATION_MEMORY_S = 60


class ApiDown(Exception):
    """The gateway or the service behind it did not answer."""


class SignedOut(Exception):
    """The request needs a signed-in member and there is none (any more)."""


# The type URI of the services' validation problems (shared/web/problems.py).
VALIDATION_PROBLEM = "https://alumnet.dev/problems/validation"


@dataclass
class ApiProblem(Exception):
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    retry_after_s: int | None = None  # from a 429's Retry-After: how long the page asks one to wait

    @property
    def kind(self) -> str:
        """The last part of the problem's type URI: ``invalid-credentials``, ``validation``..."""
        return str(self.body.get("type", "")).rsplit("/", 1)[-1]

    @property
    def detail(self) -> str:
        return str(self.body.get("detail") or self.body.get("title") or "")

    @property
    def errors(self) -> dict[str, Any]:
        errors = self.body.get("errors")
        return errors if isinstance(errors, dict) else {}

    def __str__(self) -> str:
        return f"{self.status} {self.kind}: {self.detail}"


@dataclass
class ApiResult:
    status: int
    headers: Any
    content: bytes
    _json: Any = None

    def json(self) -> Any:
        if self._json is None and self.content:
            import json
            self._json = json.loads(self.content)
        return self._json

    def close(self) -> None:
        """Nothing to release: the body is read (a streamed answer's ``close`` ends its connection)."""


@dataclass
class StreamedResult:
    """An answer whose body is still coming: ``chunks()`` yields it (and then closes)."""
    status: int
    headers: Any
    chunks: Callable[[], Iterator[bytes]]
    close: Callable[[], None]

    def read(self) -> ApiResult:
        """The whole (small: a problem's) body, read now."""
        return ApiResult(self.status, self.headers, b"".join(self.chunks()))


class Gateway:
    """One per app: a pooled HTTP session to the gateway (or a fake transport in page tests:
    anything with requests' ``Session.request`` signature)."""

    def __init__(self, base_url: str, timeout_s: float, transport=None):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        # The gateway's address is configured (PORTAL_API_URL) and reached directly: no proxy
        # settings or .netrc from the environment (requests' session scanned the whole
        # environment for them on every call). See frontends/portal/transport.py.
        self.transport = transport if transport is not None else Transport()
        self._rotations: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def send(self, method: str, path: str, *, token: str | None = None, headers: dict | None = None,
             **kwargs) -> ApiResult:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        try:
            response = self.transport.request(method, self.base_url + path, headers=sent,
                                              timeout=self.timeout_s, allow_redirects=False, **kwargs)
        except (requests.RequestException, Unreachable) as exc:
            raise ApiDown(str(exc)) from exc
        if response.status_code >= 500:
            raise ApiDown(f"{method} {path}: {response.status_code}")
        return ApiResult(response.status_code, response.headers, response.content)

    def stream(self, method: str, path: str, *, token: str | None = None, headers: dict | None = None,
               **kwargs) -> StreamedResult:
        """``send``, with the body left to read: from a transport that can stream, as it comes;
        from one that cannot (the page tests' fake), in one piece."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        opener = getattr(self.transport, "stream", None)
        try:
            if opener is None:
                whole = self.transport.request(method, self.base_url + path, headers=sent, timeout=self.timeout_s,
                                               allow_redirects=False, **kwargs)
                response = StreamedResult(whole.status_code, whole.headers, lambda: iter((whole.content,)),
                                          lambda: None)
            else:
                answer = opener(method, self.base_url + path, headers=sent, timeout=self.timeout_s, **kwargs)
                response = StreamedResult(answer.status_code, answer.headers, answer.chunks, answer.close)
        except (requests.RequestException, Unreachable) as exc:
            raise ApiDown(str(exc)) from exc
        if response.status >= 500:
            response.close()
            raise ApiDown(f"{method} {path}: {response.status}")
        return response

    def refreshed(self, refresh_token: str, headers: dict) -> dict | None:
        """A new token pair for ``refresh_token`` (from memory if this process just rotated
        it), or None if the members service refuses it."""
        digest = hashlib.sha256(refresh_token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (at, _) in self._rotations.items() if now - at > _ROTATION_MEMORY_S]:
                del self._rotations[key]
            remembered = self._rotations.get(digest)
        if remembered:
            return remembered[1]
        result = self.send("POST", "/api/v1/members/auth/refresh", json={"refresh_token": refresh_token},
                           headers=headers)
        if result.status != 200:
            return None
        pair = result.json()
        with self._lock:
            self._rotations[digest] = (now, pair)
        return pair


def remember_login(pair: dict) -> None:
    """Keep a login's (or refresh's) token pair in the session; the browser never sees it."""
    auth = session.get("auth", {})
    session["auth"] = {
        "access_token": pair["access_token"],
        "refresh_token": pair["refresh_token"],
        "expires_at": time.time() + int(pair.get("expires_in", 900)),
        "member_id": pair["member_id"],
        "roles": list(pair.get("roles", [])),
        # Set by the login page; the refresh answer does not carry it.
        "name": auth.get("name", ""),
    }


def forget_login() -> None:
    session.pop("auth", None)


class RequestApi:
    """The API as the current request's member sees it."""

    def __init__(self, gateway: Gateway):
        self.gateway = gateway

    def _headers(self) -> dict:
        headers = {"Accept-Language": getattr(g, "locale", "en")}
        if request.access_route:
            headers["X-Forwarded-For"] = request.access_route[0]
        request_id = request.headers.get("X-Request-ID")
        if request_id:
            headers["X-Request-ID"] = request_id
        return headers

    def _refresh(self) -> bool:
        auth = session.get("auth")
        if not auth:
            return False
        pair = self.gateway.refreshed(auth["refresh_token"], self._headers())
        if pair is None:
            forget_login()
            return False
        remember_login(pair)
        return True

    def _exchange(self, send: Callable, method: str, path: str, anonymous: bool, headers: dict | None,
                  kwargs: dict):
        """Send with the member's token (refreshed shortly before it expires, and once more on a
        401); the answer and the login it was sent with."""
        sent = {**self._headers(), **(headers or {})}
        auth = None if anonymous else session.get("auth")
        if auth and auth["expires_at"] - REFRESH_MARGIN_S < time.time():
            if not self._refresh():
                raise SignedOut()
            auth = session["auth"]
        result = send(method, path, token=auth and auth["access_token"], headers=sent, **kwargs)
        if result.status == 401 and auth:
            # Expired early, or revoked (a password reset elsewhere): one refresh, then give up.
            result.close()
            if not self._refresh():
                raise SignedOut()
            result = send(method, path, token=session["auth"]["access_token"], headers=sent, **kwargs)
            if result.status == 401:
                result.close()
                forget_login()
                raise SignedOut()
        return result, auth

    def call(self, method: str, path: str, *, anonymous: bool = False, ok: tuple[int, ...] = (),
             headers: dict | None = None, **kwargs) -> ApiResult:
        """Call the API; a 2xx or a status in ``ok`` is returned, any other 4xx raises
        ``ApiProblem``. Signed-in requests carry the member's token unless ``anonymous``."""
        result, auth = self._exchange(self.gateway.send, method, path, anonymous, headers, kwargs)
        if result.status < 300 or result.status in ok:
            return result
        raise _problem(result, signed_out=not auth and not anonymous)

    def stream(self, path: str, *, headers: dict | None = None, **kwargs) -> StreamedResult:
        """A GET whose 2xx body is read as it comes (``chunks()``); other answers as ``call``."""
        result, auth = self._exchange(self.gateway.stream, "GET", path, False, headers, kwargs)
        if result.status < 300:
            return result
        raise _problem(result.read(), signed_out=not auth)

    def get(self, path: str, **kwargs) -> Any:
        return self.call("GET", path, **kwargs).json()

    def post(self, path: str, json: Any = None, **kwargs) -> Any:
        return self.call("POST", path, json=json, **kwargs).json()

    def put(self, path: str, json: Any = None, **kwargs) -> Any:
        return self.call("PUT", path, json=json, **kwargs).json()

    def patch(self, path: str, json: Any = None, **kwargs) -> Any:
        return self.call("PATCH", path, json=json, **kwargs).json()

    def delete(self, path: str, **kwargs) -> Any:
        return self.call("DELETE", path, **kwargs).json()


def _problem(result: ApiResult, *, signed_out: bool) -> Exception:
    """What a 4xx answer raises: ``ApiProblem`` with its problem body, or ``SignedOut`` for a
    401 to a request that needed a login and had none."""
    body = {}
    if result.headers.get("Content-Type", "").startswith(("application/problem+json", "application/json")):
        try:
            body = result.json() or {}
        except ValueError:
            body = {}
    if result.status == 401 and signed_out:
        return SignedOut()
    return ApiProblem(result.status, body if isinstance(body, dict) else {}, _retry_after(result.headers))


def _retry_after(headers) -> int | None:
    try:
        return max(0, int(headers.get("Retry-After", "")))
    except ValueError:
        return None


def api() -> RequestApi:
    return RequestApi(current_app.extensions["portal_gateway"])
