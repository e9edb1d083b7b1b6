"""The nominee's one-click link (``/awards/nominations/<id>/decide?t=<token>``): the token
(``shared.decisionlink.NOMINATION_DECISION``) is the link's own credential for one decision
(``confirm`` or ``decline``) of one nominee, sent to the awards API as ``X-Nomination-Token``
*instead of* a signed-in person's token.

As with the mentoring link (``frontends/portal/mentoring/link.py``, whose reading of the
token this shares): carried from the page to its form in a hidden field, never in the
session cookie nor a log line; the page reads the decision and the deadline from the token
only to word itself; the API checks the signature.
"""
from __future__ import annotations

from flask import request

from frontends.portal.mentoring.link import deadline, payload, token

HEADER = "X-Nomination-Token"
DECISIONS = ("confirm", "decline")

__all__ = ["HEADER", "DECISIONS", "calls", "deadline", "decision", "token"]


def calls(link_token: str) -> dict:
    """The keyword arguments of an ``api()`` call made with the link: its header, no member's token."""
    return {"headers": {HEADER: link_token}, "anonymous": True}


def decision(link_token: str) -> str:
    """What the link is for (the token's ``d``); a signed-in nominee without a link chooses
    with the form's ``d``; "" if neither names one."""
    said = payload(link_token).get("d") if link_token else request.values.get("d")
    return said if said in DECISIONS else ""
