"""How the survey pages word things: texts in the page's language, the closing time, my
status, and the profile fields (and their values) a survey proposes to change."""
from __future__ import annotations

from datetime import datetime

from flask import g
from flask_babel import format_date, format_time, gettext as _, lazy_gettext as _l

from frontends.portal.profile import form as profile_form, labels

STATUS = {
    "new": _l("Not started"),
    "draft": _l("Draft saved"),
    "submitted": _l("Submitted"),
}
# The profile fields a survey question may fill (the API's MAPPABLE); most have the profile's label.
FIELDS = {**profile_form.GROUPS, "open_to_volunteer": _l("Open to volunteering")}


def language() -> str:
    return g.get("locale", "bg")


def text(texts: dict | None) -> str:
    """A bilingual text in the page's language, else the other one."""
    texts = texts or {}
    return texts.get(language()) or texts.get("en") or texts.get("bg") or ""


def when(moment: str | None) -> str:
    """A day and time in Sofia time, in the page's language (``31 януари 2027 г., 23:59``)."""
    if not moment:
        return ""
    at = datetime.fromisoformat(moment)
    return f"{format_date(at, 'long')}, {format_time(at, 'short')}"


def status(code: str | None) -> str:
    return str(STATUS.get(code, code or ""))


def field(name: str) -> str:
    return str(FIELDS.get(name, name))


def value(name: str, shown) -> str:
    """A profile field's value as the profile page shows it; nothing given is a dash."""
    if shown in (None, "", []):
        return "—"
    if isinstance(shown, bool):
        return _("Yes") if shown else _("No")
    if name == "country":
        return labels.country_name(shown)
    if name == "languages":
        return ", ".join(labels.language_name(code) for code in shown)
    if isinstance(shown, list):
        return ", ".join(str(item) for item in shown)
    return str(shown)
