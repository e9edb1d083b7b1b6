"""How the home page words events: the title in the page's language, when, and where."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import g
from flask_babel import format_date, format_time, get_locale, get_timezone


def title(event: dict) -> str:
    titles = event.get("title") or {}
    return titles.get(g.get("locale", "bg")) or titles.get("en") or titles.get("bg") or ""


def when(moment: str | None) -> str:
    """A day and time, in Sofia time, in the page's language (``петък, 4 декември 2026 г., 18:00``)."""
    if not moment:
        return ""
    return _when(moment, str(get_locale()), str(get_timezone()))


# The page says the same few moments again and again (an event is in the list and in the open
# calls, on every member's home page); Babel's formatting costs about 50 µs a moment. The
# words depend only on the moment, the language and the time zone, which make the key.
@lru_cache(maxsize=4096)
def _when(moment: str, locale: str, zone: str) -> str:
    at = datetime.fromisoformat(moment)
    return f"{format_date(at, 'full')}, {format_time(at, 'short')}"


def event_url(event_id: str) -> str:
    """The events area's page of an event (a path the emails link to as well)."""
    return f"/events/{event_id}"
