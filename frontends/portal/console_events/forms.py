"""The event form: what the office types, as the events API's body, and an event from the API
as the form shows it for editing.

Form fields are named by the API's field paths (``title.bg``, ``place.city``,
``audience.year_from``...), so the API's field errors land next to their fields as they are.
The portal checks nothing the API checks: it sends what was typed (an empty field as null,
which the API calls required where it is) and shows the API's answer.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from frontends.portal.console_events import times
from frontends.portal.i18n import DEFAULT_TIMEZONE

LANGS = ("bg", "en")
FIELDS = ("title.bg", "title.en", "description.bg", "description.en", "kind", "timezone", "starts_at", "ends_at",
          "capacity", "guests_allowed", "place.name", "place.address", "place.city", "online_url",
          "audience.kind", "audience.year_from", "audience.year_to", "audience.faculty", "audience.segment_id")
# The event's time zone is typed in the form; these are offered, any IANA zone is accepted.
TIMEZONES = ("Europe/Sofia", "Europe/London", "Europe/Berlin", "Europe/Vienna", "Europe/Athens", "America/New_York",
             "UTC")
SCHEDULE = ("starts_at", "ends_at")


def blank() -> dict[str, str]:
    """A new event's form: in Sofia, for everyone, no guests."""
    form = {name: "" for name in FIELDS}
    form.update({"timezone": DEFAULT_TIMEZONE, "audience.kind": "all", "guests_allowed": "0", "kind": "reunion"})
    return form


def typed(values: Mapping[str, str]) -> dict[str, str]:
    """The form as posted (only its own fields, trimmed; descriptions keep their lines)."""
    form = {}
    for name in FIELDS:
        value = values.get(name, "")
        form[name] = value.replace("\r\n", "\n").strip() if name.startswith("description.") else value.strip()
    return form


def _or_none(value: str) -> str | None:
    return value or None


def _whole(value: str) -> int | str | None:
    """A number field: an integer when it is one (the API takes JSON integers only), else what
    was typed, which the API refuses as "Not a valid integer." next to the field."""
    return int(value) if re.fullmatch(r"-?\d{1,9}", value) else _or_none(value)


def body(form: Mapping[str, str]) -> dict[str, Any]:
    """The API body for a create (every field) or, compared by ``changes``, an edit."""
    audience: dict[str, Any] = {"kind": form["audience.kind"] or "all"}
    if audience["kind"] == "graduation_years":
        audience.update(year_from=_whole(form["audience.year_from"]), year_to=_whole(form["audience.year_to"]))
    elif audience["kind"] == "faculty":
        audience["faculty"] = _or_none(form["audience.faculty"])
    elif audience["kind"] == "segment":
        audience["segment_id"] = _or_none(form["audience.segment_id"])
    place = None
    if form["place.name"] or form["place.address"] or form["place.city"]:
        place = {"name": _or_none(form["place.name"]), "address": _or_none(form["place.address"]),
                 "city": _or_none(form["place.city"])}
    return {
        "title": {lang: _or_none(form[f"title.{lang}"]) for lang in LANGS},
        "description": {lang: form[f"description.{lang}"] for lang in LANGS},
        "kind": form["kind"],
        "timezone": form["timezone"] or DEFAULT_TIMEZONE,
        "starts_at": _or_none(form["starts_at"]),
        "ends_at": _or_none(form["ends_at"]),
        "capacity": _whole(form["capacity"]),  # empty: unlimited
        "guests_allowed": _whole(form["guests_allowed"]) or 0,
        "place": place,
        "online_url": _or_none(form["online_url"]),
        "audience": audience,
    }


def of_event(event: Mapping[str, Any]) -> dict[str, str]:
    """An event from the API as its edit form."""
    zone = event.get("timezone") or DEFAULT_TIMEZONE
    place = event.get("place") or {}
    audience = event.get("audience") or {}

    def text(value) -> str:
        return "" if value is None else str(value)

    form = {f"{part}.{lang}": text((event.get(part) or {}).get(lang)) for part in ("title", "description")
            for lang in LANGS}
    form.update({
        "kind": text(event.get("kind")), "timezone": zone,
        "starts_at": times.to_input(event.get("starts_at"), zone), "ends_at": times.to_input(event.get("ends_at"), zone),
        "capacity": text(event.get("capacity")), "guests_allowed": text(event.get("guests_allowed", 0)),
        "online_url": text(event.get("online_url")),
        **{f"place.{k}": text(place.get(k)) for k in ("name", "address", "city")},
        **{f"audience.{k}": text(audience.get(k)) for k in ("kind", "year_from", "year_to", "faculty", "segment_id")},
    })
    form["audience.kind"] = form["audience.kind"] or "all"
    return form


def changes(before: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """What an edit changes: the fields whose value differs from the event's, so that an edit
    of the description does not tell everyone registered that the event moved. A new time zone
    sends the times too: they were typed as wall-clock times in it."""
    old, new = body(of_event(before)), body(form)
    changed = {name: value for name, value in new.items() if value != old[name]}
    if "timezone" in changed:
        changed.update({name: new[name] for name in SCHEDULE})
    return changed
