"""The words of the office's messaging pages: delivery statuses, channels, categories,
faculties (console_members' list) and audiences as a person reads them (the APIs speak in codes).

The dashboard shows the same statuses and faculties, so it takes them from here.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, format_number, gettext as _, lazy_gettext

# One list of faculty names for the office's pages (shared/memberfilter.py FACULTIES).
from frontends.portal.console_members.labels import FACULTIES

# services/notifications/schemas.py STATUSES, in the order a delivery goes through them.
STATUSES = {
    "queued": lazy_gettext("Queued"),
    "sending": lazy_gettext("Sending"),
    "sent": lazy_gettext("Sent"),
    "failed": lazy_gettext("Failed"),
    "skipped": lazy_gettext("Skipped"),
    "held": lazy_gettext("Held for digests"),
    "digested": lazy_gettext("Sent in a digest"),
    "unknown": lazy_gettext("Unknown"),
}

CHANNELS = {"email": lazy_gettext("Email"), "sms": lazy_gettext("SMS")}

# services/notifications/routing.py MARKETING_CATEGORIES: the consent an announcement needs.
CATEGORIES = {
    "news": lazy_gettext("News"),
    "events": lazy_gettext("Events"),
    "mentoring": lazy_gettext("Mentoring"),
    "awards": lazy_gettext("Awards"),
    "surveys": lazy_gettext("Surveys"),
    "causes": lazy_gettext("Causes and volunteering"),
}

ANNOUNCEMENT_STATES = {
    "spreading": lazy_gettext("Finding the recipients"),
    "spread": lazy_gettext("Every recipient queued"),
    "cancelled": lazy_gettext("Stopped"),
}


def label(table: dict, code) -> str:
    """The words for ``code``, or the code itself when it is new to the portal."""
    return str(table.get(code, code if code is not None else ""))


def audience(value: dict | None, segment_names: dict[str, str] | None = None) -> str:
    """``{"kind": "faculty", "faculty": "pharmacy"}`` -> "Faculty of Pharmacy"."""
    value = value or {"kind": "all"}
    kind = value.get("kind")
    if kind == "graduation_years":
        first, last = value.get("year_from"), value.get("year_to")
        if first is not None and first == last:
            return _("Class of %(year)s", year=first)
        if last is None:
            return _("Classes from %(year)s", year=first)
        if first is None:
            return _("Classes up to %(year)s", year=last)
        return _("Classes %(first)s–%(last)s", first=first, last=last)
    if kind == "faculty":
        return label(FACULTIES, value.get("faculty"))
    if kind == "segment":
        name = (segment_names or {}).get(value.get("segment_id"))
        return _("Segment: %(name)s", name=name) if name else _("A members segment")
    return _("Everyone")


def when(value: str | None) -> str:
    """An API timestamp (ISO 8601) in the page's language and the office's time zone."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return format_datetime(moment, "short")


def number(value) -> str:
    return format_number(value or 0)
