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

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from shared import signedtoken

VERSION = 1
PURPOSE = b"alumnet-unsubscribe-v1"
DEFAULT_MAX_AGE = timedelta(days=365)
# A token issued a little "in the future" is clock skew between the two services; more is not.
CLOCK_SKEW = timedelta(minutes=5)
PATH = "/api/v1/members/unsubscribe"


class BadUnsubscribeToken(signedtoken.BadToken):
    """The token is malformed, tampered with, signed with another key, or expired."""


@dataclass(frozen=True)
class UnsubscribeRequest:
    member_id: str
    channel: str
    category: str
    issued_at: datetime


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
    return signedtoken.sign(key, PURPOSE, payload)


def read_token(key: str, token: str, now: datetime,
               max_age: timedelta = DEFAULT_MAX_AGE) -> UnsubscribeRequest:
    """The request a token carries, if it is genuine and younger than ``max_age`` at ``now``.

    Raises ``BadUnsubscribeToken`` for anything else: garbage, a changed payload or
    signature, another key, a token older than ``max_age`` or issued in the future.
    """
    try:
        payload = signedtoken.verify(key, PURPOSE, token)
    except signedtoken.BadToken as bad:
        raise BadUnsubscribeToken(str(bad)) from None
    if payload.get("v") != VERSION:
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
