"""Forwarded client details are believed only from the configured proxies (TRUSTED_PROXIES).

A WSGI middleware in front of every service app. When the connection comes from a trusted
proxy (the gateway), the client's address is its ``X-Real-IP`` and the scheme its
``X-Forwarded-Proto``; from anyone else, every forwarding header (``X-Real-IP``,
``X-Forwarded-*``, ``Forwarded``) is removed before the app sees the request, so no code
downstream can be fooled by a client that sets them itself. The default trusts no one
(dev mode: this machine).
"""
from __future__ import annotations

import ipaddress

FORWARDING_HEADERS = ("HTTP_X_REAL_IP", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO",
                      "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")


def _address(raw: str | None):
    try:
        return ipaddress.ip_address((raw or "").strip())
    except ValueError:
        return None


class TrustedProxies:
    def __init__(self, app, networks: tuple):
        self.app = app
        self.networks = tuple(networks)

    def trusts(self, peer: str | None) -> bool:
        address = _address(peer)
        return address is not None and any(address in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.trusts(environ.get("REMOTE_ADDR")):
            client = _address(environ.get("HTTP_X_REAL_IP"))
            if client is not None:
                environ["REMOTE_ADDR"] = str(client)
            if environ.get("HTTP_X_FORWARDED_PROTO") in ("http", "https"):
                environ["wsgi.url_scheme"] = environ["HTTP_X_FORWARDED_PROTO"]
        else:
            for header in FORWARDING_HEADERS:
                environ.pop(header, None)
        return self.app(environ, start_response)
