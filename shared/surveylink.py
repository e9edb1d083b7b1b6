"""Personal survey links: a signed token that lets one member answer one survey without
logging in, straight from the invitation email.

Notifications makes the token when it renders the invitation or the reminder; the members
service reads it on the survey's response routes (header ``X-Survey-Token``). Both hold
``LINK_SIGNING_KEY``; the token is signed for this purpose only (``shared.signedtoken``), so
an unsubscribe token can never open a survey and the other way round.

Payload: ``{"v": 1, "m": member_id, "s": survey_id, "iat": unix_seconds}``. The token
itself only expires after :data:`MAX_AGE`; the members service refuses it once the survey
is closed, so a link is valid exactly until the survey closes, however its dates move.

This module imports no service code: both services use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from shared import signedtoken

VERSION = 1
PURPOSE = b"alumnet-survey-link-v1"
MAX_AGE = timedelta(days=400)
CLOCK_SKEW = timedelta(minutes=5)
HEADER = "X-Survey-Token"


class BadSurveyLink(signedtoken.BadToken):
    """Malformed, tampered with, signed with another key or purpose, or too old."""


@dataclass(frozen=True)
class SurveyLink:
    member_id: str
    survey_id: str
    issued_at: datetime


def make_token(key: str, member_id: str, survey_id: str, issued_at: datetime) -> str:
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    if not member_id or not survey_id:
        raise ValueError("member_id and survey_id are required")
    return signedtoken.sign(key, PURPOSE, {"v": VERSION, "m": member_id, "s": survey_id,
                                           "iat": int(issued_at.timestamp())})


def read_token(key: str, token: str, now: datetime) -> SurveyLink:
    """The member and survey a genuine token names, or ``BadSurveyLink``."""
    try:
        payload = signedtoken.verify(key, PURPOSE, token)
    except signedtoken.BadToken as bad:
        raise BadSurveyLink(str(bad)) from None
    member_id, survey_id, iat = payload.get("m"), payload.get("s"), payload.get("iat")
    if payload.get("v") != VERSION or not isinstance(member_id, str) or not member_id \
            or not isinstance(survey_id, str) or not survey_id \
            or not isinstance(iat, int) or isinstance(iat, bool):
        raise BadSurveyLink("malformed payload")
    try:
        issued_at = datetime.fromtimestamp(iat, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise BadSurveyLink("malformed payload") from None
    if issued_at > now + CLOCK_SKEW or now - issued_at > MAX_AGE:
        raise BadSurveyLink("expired or issued in the future")
    return SurveyLink(member_id, survey_id, issued_at)


def portal_link(public_base_url: str, survey_id: str, token: str) -> str:
    """The portal page the invitation links to: it answers with the token, no login."""
    return f"{public_base_url.rstrip('/')}/surveys/{quote(survey_id, safe='')}/answer?t={quote(token, safe='')}"
