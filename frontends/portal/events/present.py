"""How an event reads on a page: its title and description in the page's language (the
other language when one is empty), its time in its own time zone formatted for the locale,
its kind and audience in words, and the events API's refusals as sentences."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import g
from flask_babel import gettext as _, lazy_gettext, ngettext

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem
from frontends.portal.i18n import DEFAULT_TIMEZONE
from frontends.portal.vocabulary import FACULTIES

KINDS = {
    "reunion": lazy_gettext("Class reunion"),
    "lecture": lazy_gettext("Lecture"),
    "webinar": lazy_gettext("Webinar"),
    "club_meeting": lazy_gettext("Club meeting"),
    "conference": lazy_gettext("Conference"),
    "volunteering": lazy_gettext("Volunteering"),
}


def language() -> str:
    return g.get("locale", "bg")


def text(bilingual: dict | None) -> str:
    """The page's language, else the other one (an event may have only one written)."""
    if not bilingual:
        return ""
    mine = bilingual.get(language()) or ""
    return mine or bilingual.get("en" if language() == "bg" else "bg") or ""


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def zone_of(event: dict) -> ZoneInfo:
    try:
        return ZoneInfo(event.get("timezone") or DEFAULT_TIMEZONE)
    except (ValueError, KeyError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def _day_time(stamp: datetime, zone: ZoneInfo, date_format: str) -> str:
    return f"{format_date(stamp, date_format, locale=language())}, " \
           f"{format_time(stamp, 'short', tzinfo=zone, locale=language())}"


def when(event: dict) -> str:
    """``събота, 15 май 2027 г., 18:00 – 23:00`` in the event's time zone (the zone named when
    it is not Sofia's: an event abroad is read in its own clock)."""
    zone, start, end = zone_of(event), moment(event.get("starts_at")), moment(event.get("ends_at"))
    if start is None:
        return ""
    start = start.astimezone(zone)
    said = _day_time(start, zone, "full")
    if end is not None:
        end = end.astimezone(zone)
        same_day = end.date() == start.date()
        said += " – " + (format_time(end, "short", tzinfo=zone, locale=language()) if same_day
                         else _day_time(end, zone, "full"))
    if str(zone) != DEFAULT_TIMEZONE:
        said += " " + _("(%(zone)s time)", zone=str(zone))
    return said


def at(event: dict, value: str | None) -> str:
    """One moment (registration opens, closes) in the event's time zone."""
    stamp = moment(value)
    if stamp is None:
        return ""
    zone = zone_of(event)
    return _day_time(stamp.astimezone(zone), zone, "long")


def kind(value: str | None) -> str:
    return str(KINDS.get(value or "", value or ""))


def audience(spec: dict | None) -> str:
    spec = spec or {}
    if spec.get("kind") == "graduation_years":
        start, end = spec.get("year_from"), spec.get("year_to")
        if start and end and start == end:
            return _("The class of %(year)s", year=start)
        if start and end:
            return _("Classes of %(start)s to %(end)s", start=start, end=end)
        return _("Classes of %(start)s and later", start=start) if start else _("Classes up to %(end)s", end=end)
    if spec.get("kind") == "faculty":
        return str(FACULTIES.get(spec.get("faculty") or "", spec.get("faculty") or ""))
    if spec.get("kind") == "segment":
        return _("A group of members chosen by the alumni office")
    return _("All alumni")


def ended(event: dict, now: datetime) -> bool:
    end = moment(event.get("ends_at"))
    return end is not None and end <= now


# The registrations API's refusals (registrations.py in the events service), in the page's words.
_GUEST_MESSAGES = [
    (re.compile(r"^This event allows no guests\.$"), lambda m: _("This event allows no guests.")),
    (re.compile(r"^This event allows at most (\d+) guests? per member\.$"),
     lambda m: ngettext("You may bring at most %(num)s guest to this event.",
                        "You may bring at most %(num)s guests to this event.", int(m.group(1)))),
    (re.compile(r"^A party of (\d+) is larger than the event's capacity of (\d+)\.$"),
     lambda m: ngettext("A party of %(party)s does not fit: the event has %(num)s seat in all.",
                        "A party of %(party)s does not fit: the event has %(num)s seats in all.", int(m.group(2)),
                        party=m.group(1))),
]


def _guest_message(message: str) -> str:
    return problems.translated(message, _GUEST_MESSAGES) or message


def register_problem(problem: ApiProblem, event: dict) -> tuple[str, dict[str, list[str]]]:
    """The sentence above the registration form and the field errors next to it."""
    errors = {name: [_guest_message(m) for m in messages]
              for name, messages in problems.field_errors(problem, {"_schema": "guests"}).items()}
    kinds = {
        "event-cancelled": _("This event is cancelled, so registration is closed."),
        "not-published": _("This event is not open for registration yet."),
        "registration-not-open": _("Registration opens on %(when)s. Please come back then.",
                                   when=at(event, problem.body.get("opens_at"))),
        "registration-closed": _("Registration closed on %(when)s.", when=at(event, problem.body.get("closes_at"))),
        "event-over": _("This event is over."),
        "validation": _("Please check the number of guests."),
    }
    if problem.status == 403:
        if problem.kind == "not-verified":
            return _("Only verified members can register. The alumni office has not verified your membership "
                     "yet; we email you when it does."), errors
        return _("This event is for another group of alumni, so you cannot register for it."), errors
    if problem.status == 404:
        return not_found_sentence(), errors
    return problems.summary(problem, kinds), errors


def cancel_problem(problem: ApiProblem) -> str:
    if problem.status == 404:
        return _("You are not registered for this event, so there is nothing to cancel.")
    return problems.summary(problem, {"event-over": _("This event is over: a registration can no longer be "
                                                      "cancelled.")})


def not_found_sentence() -> str:
    return _("This event does not exist, or it is not for you: some events are only for one class, faculty "
             "or group of members.")
