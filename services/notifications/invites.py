"""The iCalendar file attached to a registration's confirmation, built at send time from the
event data the confirmation carried (notifications never asks the events service)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from shared import clock

PRODID = "-//Alumnet//Alumni Club MU-Plovdiv//EN"


def event_ics(event: Mapping[str, Any], stamp: datetime | None = None) -> bytes:
    """``event``: event_id, title (already in the member's language), starts_at, ends_at
    (ISO), timezone, where, online_url."""
    zone = ZoneInfo(event["timezone"])
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    vevent = Event()
    vevent.add("uid", f"{event['event_id']}@alumnet")
    vevent.add("dtstamp", stamp or datetime.now(timezone.utc))
    vevent.add("dtstart", clock.calendar_time(datetime.fromisoformat(event["starts_at"]), zone))
    vevent.add("dtend", clock.calendar_time(datetime.fromisoformat(event["ends_at"]), zone))
    vevent.add("summary", event["title"])
    if event.get("where"):
        vevent.add("location", event["where"])
    if event.get("online_url"):
        vevent.add("url", event["online_url"])
    calendar.add_component(vevent)
    calendar.add_missing_timezones()
    return calendar.to_ical()
