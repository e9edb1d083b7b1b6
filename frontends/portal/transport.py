"""How the portal's HTTP requests reach the gateway: a pooled urllib3 client with the one
method the gateway client uses, ``request(method, url, headers=, json=, params=, data=,
files=, timeout=, allow_redirects=)``, the signature of requests' ``Session.request`` (which
the page tests' fake gateway keeps).

Not requests itself: on every call its session merges settings, cookies and hooks and reads
the response's cookies, about a third of the portal's CPU per API call (0.34 of 1.0 ms
measured against a local server), and the portal needs none of it. Answers are the
response objects of urllib3 with ``status_code`` and ``content`` added, their bodies
decompressed (the gateway gzips JSON). Failures to connect or read raise
``urllib3.exceptions.HTTPError``; proxies and .netrc are never read from the environment.
"""
from __future__ import annotations

import json as jsonlib
from typing import Any
from urllib.parse import urlencode

import urllib3

# What requests' session sent, so that the gateway (and the apis' access logs) see the same.
DEFAULT_HEADERS = {"Accept-Encoding": "gzip, deflate", "Accept": "*/*", "User-Agent": "alumnet-portal"}


class Answer:
    """A response: ``status_code``, ``headers`` (case-insensitive) and ``content`` (bytes)."""

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


class Transport:
    def __init__(self, pool_size: int = 64):
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=pool_size)

    def request(self, method: str, url: str, headers: dict | None = None, json: Any = None, params: Any = None,
                data: Any = None, files: Any = None, timeout: float | None = None,
                allow_redirects: bool = True) -> Answer:
        sent = {**DEFAULT_HEADERS, **(headers or {})}
        if params:
            url += ("&" if "?" in url else "?") + query_string(params)
        body = None
        if files:
            fields = list((data or {}).items()) + list(files.items())
            body, sent["Content-Type"] = urllib3.encode_multipart_formdata(fields)
        elif json is not None:
            body = jsonlib.dumps(json, allow_nan=False).encode()
            sent["Content-Type"] = "application/json"
        elif isinstance(data, dict):
            body = urlencode(data, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
        response = self.pool.request(method, url, body=body, headers=sent, retries=False,
                                     redirect=allow_redirects, timeout=urllib3.Timeout(connect=timeout, read=timeout))
        return Answer(response.status, response.headers, response.data)
