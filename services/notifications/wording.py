"""Dates and times as people read them in Bulgarian and English, for every message's context.

Times are shown in a named zone (an event's own, or Sofia for the club's deadlines): "12
декември 2026 г., 18:00 ч." / "12 December 2026, 18:00"; a day alone without the time.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

MONTHS = {
    "bg": ["януари", "февруари", "март", "април", "май", "юни", "юли", "август", "септември", "октомври",
           "ноември", "декември"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
SOFIA = "Europe/Sofia"


def when(iso: str, zone: str, language: str) -> str:
    """A moment in ``zone``: "12 декември 2026 г., 18:00 ч."."""
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    if language == "bg":
        return f"{on_day(moment.date(), language)}, {moment:%H:%M} ч."
    return f"{on_day(moment.date(), language)}, {moment:%H:%M}"


def day_of(iso: str, zone: str, language: str) -> str:
    """The day of a moment in ``zone``: "10 декември 2026 г."."""
    return on_day(datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).date(), language)


def on_day(day: date, language: str) -> str:
    """A calendar day: "10 декември 2026 г." / "10 December 2026"."""
    month = MONTHS[language][day.month - 1]
    return f"{day.day} {month} {day.year} г." if language == "bg" else f"{day.day} {month} {day.year}"
