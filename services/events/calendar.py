"""iCalendar (RFC 5545) for events: pure functions from event documents (model.py) to ``.ics``.

- ``UID`` is ``<event_id>@alumnet``: the same event in the single-event file and in a feed is
  one calendar entry, updated in place.
- ``DTSTART``/``DTEND`` carry ``TZID`` (the event's time zone) and the file holds the matching
  ``VTIMEZONE`` (icalendar's ``add_missing_timezones``, over the years the events span); a time
  in the second pass of a repeated hour is written in UTC instead (``clock.calendar_time``).
- ``SEQUENCE`` is the whole seconds from the event's creation to its last change
  (``updated_at - created_at``): it grows with every change (publishing, a reschedule, the
  cancellation) without keeping a counter; two changes within one second share a number.
- ``STATUS`` is ``CANCELLED`` for a cancelled event, ``TENTATIVE`` for a draft or a waitlisted
  registration (the caller is not sure to have a seat), ``CONFIRMED`` otherwise.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from shared import clock

PRODID = "-//Alumnet//Events//BG"
LANGUAGES = ("bg", "en")
DEFAULT_LANGUAGE = "bg"
CALENDAR_NAME = "Alumnet"
UID_DOMAIN = "alumnet"


def uid(event: dict) -> str:
    return f"{event['_id']}@{UID_DOMAIN}"


def sequence(event: dict) -> int:
    created, updated = event.get("created_at"), event.get("updated_at")
    if created is None or updated is None:
        return 0
    return max(0, int((updated - created).total_seconds()))


def status(event: dict, *, tentative: bool = False) -> str:
    if event["status"] == "cancelled":
        return "CANCELLED"
    if event["status"] == "draft" or tentative:
        return "TENTATIVE"
    return "CONFIRMED"


def location(place: dict | None) -> str | None:
    if not place:
        return None
    return ", ".join(part for part in (place.get("name"), place.get("address"), place.get("city")) if part) or None


def _text(bilingual: dict | None, lang: str) -> str:
    bilingual = bilingual or {}
    return bilingual.get(lang) or bilingual.get(DEFAULT_LANGUAGE) or ""


def vevent(event: dict, *, lang: str = DEFAULT_LANGUAGE, stamp: datetime, tentative: bool = False) -> Event:
    """The VEVENT of an event document, its texts in ``lang``."""
    zone = ZoneInfo(event["timezone"])
    component = Event()
    component.add("uid", uid(event))
    component.add("dtstamp", stamp)
    component.add("dtstart", clock.calendar_time(event["starts_at"], zone))
    component.add("dtend", clock.calendar_time(event["ends_at"], zone))
    component.add("summary", _text(event.get("title"), lang))
    description = _text(event.get("description"), lang)
    if event.get("online_url"):
        description = f"{description}\n\n{event['online_url']}".strip()
    if description:
        component.add("description", description)
    where = location(event.get("place"))
    if where:
        component.add("location", where)
    elif event.get("online_url"):
        component.add("location", event["online_url"])
    if event.get("online_url"):
        component.add("url", event["online_url"])
    component.add("status", status(event, tentative=tentative))
    component.add("sequence", sequence(event))
    for name, key in (("created", "created_at"), ("last-modified", "updated_at")):
        if event.get(key) is not None:
            component.add(name, event[key])
    component.add("categories", [event["kind"]])
    component.add("transp", "TRANSPARENT" if status(event, tentative=tentative) == "CANCELLED" else "OPAQUE")
    return component


def calendar(entries: Iterable[tuple[dict, bool]], *, lang: str = DEFAULT_LANGUAGE, stamp: datetime,
             name: str | None = None) -> Calendar:
    """A VCALENDAR (METHOD:PUBLISH) of ``(event, tentative)`` entries, with their VTIMEZONEs."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("name", name)
    days: list[date] = []
    for event, tentative in entries:
        cal.add_component(vevent(event, lang=lang, stamp=stamp, tentative=tentative))
        days += [event["starts_at"].date(), event["ends_at"].date()]
    if days:
        # Rules over the years around the events only: a small VTIMEZONE that is right for them.
        cal.add_missing_timezones(first_date=min(days) - timedelta(days=366),
                                  last_date=max(days) + timedelta(days=366))
    return cal


def ics(cal: Calendar) -> bytes:
    return cal.to_ical()
