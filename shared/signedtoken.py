"""Signed, URL-safe tokens for links that are their own credential (unsubscribe, survey links).

Format (``[A-Za-z0-9_-]`` plus one ``.``)::

    base64url(payload) "." base64url(HMAC-SHA256(signing_key, base64url(payload)))

with unpadded base64url, ``payload`` compact JSON, and ``signing_key =
HMAC-SHA256(LINK_SIGNING_KEY, purpose)``: a key derived per purpose, so a token made for one
kind of link can never be taken for another kind signed with the same key. The signature is
checked in constant time before the payload is parsed; only the canonical base64url spelling
is accepted (one token, one string).

This module imports no service code.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

MAX_TOKEN_LENGTH = 1024


class BadToken(ValueError):
    """The token is malformed, tampered with, or signed with another key or purpose."""


def _signing_key(key: str | bytes, purpose: bytes) -> bytes:
    if not key:
        raise ValueError("LINK_SIGNING_KEY is empty")
    raw = key.encode() if isinstance(key, str) else key
    return hmac.new(raw, purpose, hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or not text.isascii():
        raise BadToken("not base64url")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise BadToken("not base64url") from None
    if _b64encode(data) != text:
        raise BadToken("not base64url")
    return data


def _signature(key: str | bytes, purpose: bytes, payload_part: str) -> bytes:
    return hmac.new(_signing_key(key, purpose), payload_part.encode("ascii"), hashlib.sha256).digest()


def sign(key: str | bytes, purpose: bytes, payload: dict[str, Any]) -> str:
    """A token carrying ``payload`` (JSON-serialisable), signed for ``purpose``."""
    payload_part = _b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload_part}.{_b64encode(_signature(key, purpose, payload_part))}"


def verify(key: str | bytes, purpose: bytes, token: Any) -> dict[str, Any]:
    """The payload of a genuine token (a dict), or ``BadToken``. Checking what the payload
    says (version, expiry, fields) is the caller's."""
    if (not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1
            or not token.isascii()):  # a mangled link's é cannot even be signed over (a 500 before)
        raise BadToken("malformed token")
    payload_part, signature_part = token.split(".")
    if not hmac.compare_digest(_b64decode(signature_part), _signature(key, purpose, payload_part)):
        raise BadToken("bad signature")
    try:
        payload = json.loads(_b64decode(payload_part))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadToken("malformed payload") from None
    if not isinstance(payload, dict):
        raise BadToken("malformed payload")
    return payload
