"""An event's times as the office reads and types them: in the event's own time zone (an event
in Vienna starts at 18:00 Vienna time, whoever looks), in the page's language."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates
from flask_babel import get_locale

from frontends.portal.i18n import DEFAULT_TIMEZONE

# What an <input type="datetime-local"> holds and the events API reads in the event's zone.
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def parse(value: str | None) -> datetime | None:
    """An API time (ISO 8601 with an offset), or None if there is none or it is not one."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def to_input(value: str | None, zone_name: str | None) -> str:
    """An API time as the datetime-local field of the edit form shows it."""
    moment = parse(value)
    return "" if moment is None else moment.astimezone(zone(zone_name)).strftime(LOCAL_INPUT)


def when(value: str | None, zone_name: str | None, date_form: str = "medium") -> str:
    """Date and time (to the minute) in the event's zone, as the language writes them:
    "12.12.2026 г., 18:00" or "Dec 12, 2026, 6:00 PM"."""
    moment = parse(value)
    if moment is None:
        return ""
    locale = str(get_locale())
    local = moment.astimezone(zone(zone_name))
    day = dates.format_date(local, date_form, locale=locale)
    hour = dates.format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
    return dates.get_datetime_format(date_form, locale=locale).replace("{1}", day).replace("{0}", hour)


def clock(value: str | None, zone_name: str | None) -> str:
    """Only the time of day in the event's zone: "18:02"."""
    moment = parse(value)
    if moment is None:
        return ""
    return dates.format_time(moment, "short", tzinfo=zone(zone_name), locale=str(get_locale()))
