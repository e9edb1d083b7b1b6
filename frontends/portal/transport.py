"""How the portal's HTTP requests reach the gateway: one keep-alive ``http.client``
connection per thread and gateway address, with the one method the gateway client uses,
``request(method, url, headers=, json=, params=, data=, files=, timeout=, allow_redirects=)``,
the signature of requests' ``Session.request`` (which the page tests' fake gateway keeps).

Not requests, nor urllib3 under it: against a local server a call through a requests session
cost the portal about 1.0 ms of CPU, through urllib3 0.7 ms and through ``http.client`` 0.34
ms (the session merges settings, cookies and hooks and reads the answer's cookies; the pool
manager parses and keys the URL and wraps the response), and a page makes one to three calls.
The portal needs none of it: it calls one configured gateway, never through a proxy and
never following redirects. Answers have ``status_code``, ``headers`` (case-insensitive
``get``) and ``content`` (decompressed: the gateway gzips JSON). A connection the gateway
closed while idle is noticed before it is used; a GET that fails on a reused connection is
sent once more on a new one. Anything else that fails raises ``Unreachable``.

``stream`` answers a download (a survey's CSV export) piece by piece, on a connection of its
own that is closed once the body is read, so the portal never holds a whole export.
"""
from __future__ import annotations

import gzip
import http.client
import json as jsonlib
import select
import threading
import zlib
from typing import Any
from urllib.parse import urlencode, urlsplit

from urllib3 import encode_multipart_formdata

# What requests' session sent, so that the gateway (and the apis' access logs) see the same.
DEFAULT_HEADERS = {"Accept-Encoding": "gzip, deflate", "Accept": "*/*", "User-Agent": "alumnet-portal"}
RETRIED = ("GET", "HEAD")  # safe to send again when a reused connection turns out closed


class Unreachable(Exception):
    """The gateway could not be connected to, or did not answer in time or in full."""


class Answer:
    """A response: ``status_code``, ``headers`` (case-insensitive ``get``) and ``content`` (bytes)."""

    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status: int, headers: Any, content: bytes):
        self.status_code, self.headers, self.content = status, headers, content


def query_string(params: Any) -> str:
    """As requests encodes ``params``: a list value repeats its key, None values are left out."""
    pairs = []
    for key, value in (params.items() if isinstance(params, dict) else params):
        for item in (value if isinstance(value, (list, tuple)) else (value,)):
            if item is not None:
                pairs.append((key, item))
    return urlencode(pairs)


def _body(sent: dict, json: Any, data: Any, files: Any) -> bytes | None:
    if files:
        body, sent["Content-Type"] = encode_multipart_formdata(list((data or {}).items()) + list(files.items()))
        return body
    if json is not None:
        sent["Content-Type"] = "application/json"
        return jsonlib.dumps(json, allow_nan=False).encode()
    if isinstance(data, dict):
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(data, doseq=True).encode()
    return data.encode() if isinstance(data, str) else data


def _decoded(content: bytes, encoding: str | None) -> bytes:
    encoding = (encoding or "").strip().lower()
    if encoding == "gzip":
        return gzip.decompress(content)
    if encoding == "deflate":
        try:
            return zlib.decompress(content)
        except zlib.error:  # raw deflate, without the zlib header
            return zlib.decompress(content, -zlib.MAX_WBITS)
    return content


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection with something to read has been closed by the other side."""
    if connection.sock is None:
        return False  # not connected (yet, or any more): http.client connects on the next request
    poller = select.poll()
    poller.register(connection.sock, select.POLLIN)
    return bool(poller.poll(0))


class Streamed:
    """A response whose body is read as it is sent on: ``status_code``, ``headers``,
    ``chunks()`` (bytes, as they come; the connection closes after the last) and ``close()``."""

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse,
                 chunk_size: int):
        self.status_code, self.headers = response.status, response.headers
        self._connection, self._response, self._chunk_size = connection, response, chunk_size

    def chunks(self):
        try:
            while chunk := self._response.read1(self._chunk_size):  # what has come, not a full piece
                yield chunk
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"the answer broke off: {exc!r}") from exc
        finally:
            self.close()

    def close(self) -> None:
        self._connection.close()


class Transport:
    def __init__(self):
        self._local = threading.local()

    def _connection(self, scheme: str, host: str, port: int | None, timeout: float | None):
        connections = self._local.__dict__.setdefault("connections", {})
        key = (scheme, host, port)
        connection = connections.get(key)
        if connection is not None and _dropped(connection):
            connection.close()
        if connection is None:
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            connection = connections[key] = kind(host, port, timeout=timeout)
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        return connection

    def request(self, method: str, url: str, headers: dict | None = None, json: Any = None, params: Any = None,
                data: Any = None, files: Any = None, timeout: float | None = None,
                allow_redirects: bool = True) -> Answer:
        """``allow_redirects`` is accepted for the signature's sake: redirects are never followed."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if params:
            target += ("&" if "?" in target else "?") + query_string(params)
        sent = {**DEFAULT_HEADERS, **(headers or {})}
        body = _body(sent, json, data, files)
        connection = self._connection(parts.scheme, parts.hostname or "", parts.port, timeout)
        reused = connection.sock is not None
        try:
            connection.request(method, target, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            if reused and method in RETRIED and not isinstance(exc, TimeoutError):
                return self.request(method, url, headers, json, params, data, files, timeout, allow_redirects)
            raise Unreachable(f"{method} {url}: {exc!r}") from exc
        try:
            content = _decoded(content, response.getheader("Content-Encoding"))
        except (OSError, EOFError, zlib.error) as exc:
            raise Unreachable(f"{method} {url}: an answer that does not decompress ({exc})") from exc
        return Answer(response.status, response.headers, content)

    def stream(self, method: str, url: str, headers: dict | None = None, params: Any = None,
               timeout: float | None = None, chunk_size: int = 64 * 1024) -> Streamed:
        """Send a request without a body and answer as soon as the headers are in. The body is
        asked for unencoded (``identity``): it is passed on byte for byte."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if params:
            target += ("&" if "?" in target else "?") + query_string(params)
        sent = {**DEFAULT_HEADERS, **(headers or {}), "Accept-Encoding": "identity"}
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname or "", parts.port, timeout=timeout)
        try:
            connection.request(method, target, headers=sent)
            return Streamed(connection, connection.getresponse(), chunk_size)
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise Unreachable(f"{method} {url}: {exc!r}") from exc
