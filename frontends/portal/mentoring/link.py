"""The email's one-click decision link (``/mentoring/requests/<id>/decide?t=<token>``): the
token is the link's own credential for one decision of one asked mentor, sent to the API as
``X-Mentoring-Token`` *instead of* a signed-in person's token.

It is carried from the page to its form in a hidden field, never in the session cookie (a
shared computer's next person must not inherit it) and never in a log line; the area's pages
send ``Referrer-Policy: no-referrer``. The page reads which decision the link is for from the
token's payload (``shared/mentoringlink.py``: ``{"d": "accept"|"decline", "exp": ...}``) only
to word its button: the API checks the signature, and a token it refuses decides nothing.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timezone

from flask import request

HEADER = "X-Mentoring-Token"
FIELD = "t"
DECISIONS = ("accept", "decline")
# A signed token: base64url, one dot (shared/signedtoken.py). Anything else is no link.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,800}\.[A-Za-z0-9_-]{1,200}\Z")


def token() -> str:
    """The link's token of this request (query or form), or "" when there is none or it is not
    shaped like one."""
    given = request.form.get(FIELD) if request.method == "POST" else request.args.get(FIELD)
    return given if given and _TOKEN.match(given) else ""


def calls(link_token: str) -> dict:
    """The keyword arguments of the decision's ``api()`` call: the link's header, no member's token."""
    return {"headers": {HEADER: link_token}, "anonymous": True}


def payload(link_token: str) -> dict:
    """What a token says (its first part), read without checking it: for wording a page only."""
    part = link_token.split(".", 1)[0]
    try:
        said = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError):
        return {}
    return said if isinstance(said, dict) else {}


def decision(link_token: str) -> str:
    """What the link is for: ``?d=`` when it names one, else what the token says; "" if neither."""
    wanted = request.values.get("d")
    if wanted in DECISIONS:
        return wanted
    said = payload(link_token).get("d")
    return said if said in DECISIONS else ""


def deadline(link_token: str) -> datetime | None:
    """Until when the link works, as the token says (shown, never trusted)."""
    exp = payload(link_token).get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        return None
    try:
        return datetime.fromtimestamp(exp, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
