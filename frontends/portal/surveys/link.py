"""Who answers: the signed-in member (their bearer token), or the holder of the invitation's
personal link (``?t=<token>``), without a login.

The token is the link's own credential, for one member and one survey. It is sent to the API
as ``X-Survey-Token`` on every call about that survey, *instead of* a signed-in person's
token (whoever holds the link answers as the member it names). It is carried from page to
page in a hidden field of the forms, never in the session cookie (a shared computer's next
person must not inherit it) and never in a log line. The area's pages send
``Referrer-Policy: no-referrer`` (``__init__.py``).
"""
from __future__ import annotations

import re

from flask import redirect, request

from frontends.portal.auth import login_url, viewer

HEADER = "X-Survey-Token"
FIELD = "t"
# A signed token: base64url, one dot (shared/signedtoken.py). Anything else is no link.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,600}\.[A-Za-z0-9_-]{1,200}\Z")
_SURVEY_ID = re.compile(r"^[0-9a-f]{32}\Z")


def token() -> str:
    """The personal link's token of this request (query or form), or "" when there is none
    or it is not shaped like one."""
    given = request.form.get(FIELD) if request.method == "POST" else request.args.get(FIELD)
    return given if given and _TOKEN.match(given) else ""


def calls(link_token: str) -> dict:
    """The keyword arguments of ``api()`` calls about the survey: with a link, its header
    and no member's bearer token."""
    return {"headers": {HEADER: link_token}, "anonymous": True} if link_token else {}


def who_is_missing():
    """A redirect to the login page when the request has neither a link nor a member, else None."""
    if token() or viewer() is not None:
        return None
    return redirect(login_url())


def plausible_survey_id(survey_id: str) -> bool:
    """Survey ids are 32 hex digits; anything else is answered 404 without asking the API."""
    return bool(_SURVEY_ID.match(survey_id))
