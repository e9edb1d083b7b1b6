"""One-click mentoring decisions: a signed token that lets the asked mentor accept or decline
a mentee's request straight from the email, without logging in.

Notifications makes the two tokens (accept, decline) when it renders the ``requested`` email;
the members service reads them on the decision routes (header ``X-Mentoring-Token`` or a
``token`` in the JSON body). Both hold ``LINK_SIGNING_KEY``; the token is signed for this
purpose only (``shared.signedtoken``), so no other link can pass for it.

Payload: ``{"v": 1, "m": mentor_id, "r": request_id, "d": "accept"|"decline", "exp":
unix_seconds}`` where ``exp`` is the ask's deadline. A genuine token past ``exp`` is still
read (``MentoringLink.expired``): the members service answers it with what happened to the
request (410), which a forged one never learns.

This module imports no service code: both services use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from shared import signedtoken

VERSION = 1
PURPOSE = b"alumnet-mentoring-decision-v1"
HEADER = "X-Mentoring-Token"
ACCEPT, DECLINE = "accept", "decline"
DECISIONS = (ACCEPT, DECLINE)


class BadMentoringLink(signedtoken.BadToken):
    """Malformed, tampered with, or signed with another key or purpose."""


@dataclass(frozen=True)
class MentoringLink:
    member_id: str
    request_id: str
    decision: str
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def make_token(key: str, member_id: str, request_id: str, decision: str, deadline: datetime) -> str:
    """The token of one decision (``accept`` or ``decline``) of the mentor asked by the request,
    valid until the ask's ``deadline``."""
    if deadline.tzinfo is None:
        raise ValueError("deadline must be timezone-aware")
    if not member_id or not request_id or decision not in DECISIONS:
        raise ValueError("member_id, request_id and a decision (accept or decline) are required")
    return signedtoken.sign(key, PURPOSE, {"v": VERSION, "m": member_id, "r": request_id, "d": decision,
                                           "exp": int(deadline.timestamp())})


def read_token(key: str, token: str) -> MentoringLink:
    """What a genuine token says, expired or not, or ``BadMentoringLink``."""
    try:
        payload = signedtoken.verify(key, PURPOSE, token)
    except signedtoken.BadToken as bad:
        raise BadMentoringLink(str(bad)) from None
    member_id, request_id, decision, exp = (payload.get(k) for k in ("m", "r", "d", "exp"))
    if payload.get("v") != VERSION or not isinstance(member_id, str) or not member_id \
            or not isinstance(request_id, str) or not request_id or decision not in DECISIONS \
            or not isinstance(exp, int) or isinstance(exp, bool):
        raise BadMentoringLink("malformed payload")
    try:
        expires_at = datetime.fromtimestamp(exp, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise BadMentoringLink("malformed payload") from None
    return MentoringLink(member_id, request_id, decision, expires_at)


def portal_link(public_base_url: str, request_id: str, token: str) -> str:
    """The portal page the email links to: it shows the request and posts the decision."""
    return f"{public_base_url.rstrip('/')}/mentoring/requests/{quote(request_id, safe='')}/decide?t={quote(token, safe='')}"
