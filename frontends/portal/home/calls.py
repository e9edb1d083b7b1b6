"""Open calls on the home page: things the member could answer now.

Each source is a function of what the home page already fetched (``Fetched``), giving
``OpenCall``s; ``SOURCES`` lists them in the order they are shown. Today only events with
seats left that fit the member, and the open surveys for the member that they have not
submitted; later issues add theirs here (mentoring requests, causes looking for help)
without touching the page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask_babel import gettext as _, ngettext

from frontends.portal.home import show


@dataclass
class OpenCall:
    title: str
    url: str
    detail: str
    action: str


@dataclass
class Fetched:
    member: dict
    events: list[dict] = field(default_factory=list)
    registrations: list[dict] = field(default_factory=list)
    surveys: list[dict] = field(default_factory=list)


def event_calls(fetched: Fetched) -> list[OpenCall]:
    """Events that fit me, open for registration, with seats left, that I am not in yet."""
    mine = {r["event_id"] for r in fetched.registrations}
    calls = []
    for event in fetched.events:
        seats = event.get("seats_left")
        full = seats is not None and seats <= 0
        if not event.get("fits_me") or not event.get("registration_open") or event["id"] in mine or full:
            continue
        detail = (_("No limit on seats") if seats is None
                  else ngettext("%(num)s seat left", "%(num)s seats left", seats))
        calls.append(OpenCall(show.title(event), show.event_url(event["id"]),
                              f"{show.when(event.get('starts_at'))} · {detail}", _("Register")))
    return calls


def survey_calls(fetched: Fetched) -> list[OpenCall]:
    """Open surveys for me that I have not submitted (GET /api/v1/members/me/surveys)."""
    calls = []
    for survey in fetched.surveys:
        if survey.get("my_status") == "submitted":
            continue
        count = survey.get("questions") or 0
        detail = _("Open until %(when)s", when=show.when(survey.get("closes_at")))
        detail += " · " + ngettext("%(num)s question", "%(num)s questions", count)
        if survey.get("anonymous"):
            detail += " · " + _("anonymous")
        calls.append(OpenCall(show.title(survey), f"/surveys/{survey['id']}/answer", detail,
                              _("Continue") if survey.get("my_status") == "draft" else _("Answer the survey")))
    return calls


# Mentoring and causes will add their sources here.
SOURCES: tuple[Callable[[Fetched], list[OpenCall]], ...] = (event_calls, survey_calls)


def open_calls(fetched: Fetched) -> list[OpenCall]:
    return [call for source in SOURCES for call in source(fetched)]
