"""One-click unsubscribe links: signed tokens and the RFC 8058 mail headers.

Notifications puts a link in every marketing email; the members service reads the token when
the link is used and withdraws consent for that channel and category. Both sides hold
``LINK_SIGNING_KEY`` (shared by members and notifications only); the token is the only
credential, so it is signed, bound to one member, channel and category, and expires.

Token format (compact and URL-safe, ``[A-Za-z0-9_-]`` plus one ``.``)::

    base64url(payload) "." base64url(HMAC-SHA256(signing_key, base64url(payload)))

with unpadded base64url, ``payload`` the compact JSON
``{"v": 1, "m": member_id, "ch": channel, "ca": category, "iat": unix_seconds}`` and
``signing_key = HMAC-SHA256(LINK_SIGNING_KEY, b"alumnet-unsubscribe-v1")``: a key derived
for this purpose only, so a signature made here can never be mistaken for anything else the
same key signs. The key is not TOKEN_ENCRYPTION_KEY: signing and encryption never share one. The signature is checked (in constant
time) before the payload is parsed.

This module imports no service code: both services use it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

VERSION = 1
PURPOSE = b"alumnet-unsubscribe-v1"
DEFAULT_MAX_AGE = timedelta(days=365)
# A token issued a little "in the future" is clock skew between the two services; more is not.
CLOCK_SKEW = timedelta(minutes=5)
MAX_TOKEN_LENGTH = 1024
PATH = "/api/v1/members/unsubscribe"


class BadUnsubscribeToken(ValueError):
    """The token is malformed, tampered with, signed with another key, or expired."""


@dataclass(frozen=True)
class UnsubscribeRequest:
    member_id: str
    channel: str
    category: str
    issued_at: datetime


def _signing_key(key: str | bytes) -> bytes:
    if not key:
        raise ValueError("LINK_SIGNING_KEY is empty")
    raw = key.encode() if isinstance(key, str) else key
    return hmac.new(raw, PURPOSE, hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or not text.isascii():
        raise BadUnsubscribeToken("not base64url")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise BadUnsubscribeToken("not base64url") from None
    if _b64encode(data) != text:  # only the canonical spelling: one token, one string
        raise BadUnsubscribeToken("not base64url")
    return data


def _sign(key: str | bytes, payload_part: str) -> bytes:
    return hmac.new(_signing_key(key), payload_part.encode("ascii"), hashlib.sha256).digest()


def make_token(key: str, member_id: str, channel: str, category: str, issued_at: datetime) -> str:
    """A signed token for withdrawing ``member_id``'s consent to ``category`` on ``channel``.

    ``issued_at`` must be timezone-aware (it is kept to the second).
    """
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    for name, value in (("member_id", member_id), ("channel", channel), ("category", category)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string")
    payload = {"v": VERSION, "m": member_id, "ch": channel, "ca": category,
               "iat": int(issued_at.timestamp())}
    payload_part = _b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload_part}.{_b64encode(_sign(key, payload_part))}"


def read_token(key: str, token: str, now: datetime,
               max_age: timedelta = DEFAULT_MAX_AGE) -> UnsubscribeRequest:
    """The request a token carries, if it is genuine and younger than ``max_age`` at ``now``.

    Raises ``BadUnsubscribeToken`` for anything else: garbage, a changed payload or
    signature, another key, a token older than ``max_age`` or issued in the future.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise BadUnsubscribeToken("malformed token")
    payload_part, signature_part = token.split(".")
    signature = _b64decode(signature_part)
    if not hmac.compare_digest(signature, _sign(key, payload_part)):
        raise BadUnsubscribeToken("bad signature")
    # Signed by us from here on; still, check the shape rather than trust it.
    try:
        payload = json.loads(_b64decode(payload_part))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadUnsubscribeToken("malformed payload") from None
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise BadUnsubscribeToken("unknown token version")
    fields = [payload.get(name) for name in ("m", "ch", "ca")]
    iat = payload.get("iat")
    if not all(isinstance(value, str) and value for value in fields) \
            or not isinstance(iat, int) or isinstance(iat, bool):
        raise BadUnsubscribeToken("malformed payload")
    try:
        issued_at = datetime.fromtimestamp(iat, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise BadUnsubscribeToken("malformed payload") from None
    if issued_at > now + CLOCK_SKEW:
        raise BadUnsubscribeToken("issued in the future")
    if now - issued_at > max_age:
        raise BadUnsubscribeToken("expired")
    member_id, channel, category = fields
    return UnsubscribeRequest(member_id, channel, category, issued_at)


def link(public_base_url: str, token: str) -> str:
    """The unsubscribe URL an email shows (and puts in ``List-Unsubscribe``): the members
    service's route behind the gateway."""
    return f"{public_base_url.rstrip('/')}{PATH}?token={quote(token, safe='')}"


def headers(unsubscribe_url: str) -> dict[str, str]:
    """The RFC 8058 one-click headers for a marketing email.

    Mail providers POST ``List-Unsubscribe=One-Click`` to the URL; RFC 8058 wants it to be
    HTTPS (plain http is accepted here for development gateways).
    """
    if any(ch in unsubscribe_url for ch in "<>\r\n \t,") or not unsubscribe_url.startswith(("https://", "http://")):
        raise ValueError("not a usable unsubscribe URL")
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
