"""What the causes' emails say, and to whom (issue 15, the events service's causes).

- ``events.cause.published`` → the cause's audience (the events ``Audience``, spread by
  ``fanout.py`` as an event's announcement is): marketing, consent category ``causes``, email
  only, with the roles, the goal, the deadline (Sofia time), the donation page when there is
  one and the cause's page.
- ``events.volunteer.joined`` → the volunteer (transactional, category ``causes``: their own
  sign-up): ``cause_joined`` with what to bring, when and where; ``cause_waitlisted`` with
  their position; ``cause_promoted`` (a place opened up) with the same details as a join.
- ``events.volunteer.hours_confirmed`` → the volunteer: thanks, with the hours and the day.
- ``events.cause.closed`` → the volunteers still waiting for a place: none will open now.
  The event names everyone who joined or waited (``member_ids``); who still waits is this
  service's own record of the joins and leaves (``cause_volunteers``: per volunteer row, the
  newest state by its time wins, so the order of arrival does not matter).

Times in the recipient's language, in Sofia time.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from marshmallow import fields
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.notifications import store as notification_store
from services.notifications.mentoring import Personal
from services.notifications.wording import SOFIA, on_day, when
from shared.bus.consumer import HandlerContext
from shared.bus.envelope import Envelope

CATEGORY = "causes"
PUBLISHED, JOINED, LEFT = "events.cause.published", "events.volunteer.joined", "events.volunteer.left"
HOURS_CONFIRMED, CLOSED = "events.volunteer.hours_confirmed", "events.cause.closed"
CAUSE_PATH = "/causes/{cause_id}"
WAITLISTED = "waitlisted"

SUMMARY_FIELDS = {"cause_id": fields.String(required=True), "kind": fields.String(required=True),
                  "title": fields.Dict(required=True), "deadline": fields.String(required=True)}
PUBLISHED_FIELDS = {**SUMMARY_FIELDS, "description": fields.Dict(required=True),
                    "audience": fields.Dict(required=True), "roles": fields.List(fields.Dict(), required=True),
                    "goal": fields.Dict(allow_none=True, load_default=None),
                    "donation_url": fields.String(allow_none=True, load_default=None)}
VOLUNTEER_FIELDS = {**SUMMARY_FIELDS, "volunteer_id": fields.String(required=True),
                    "member_id": fields.String(required=True)}
JOINED_FIELDS = {**VOLUNTEER_FIELDS, "role": fields.Dict(required=True), "status": fields.String(required=True),
                 "position": fields.Integer(allow_none=True, load_default=None),
                 "promoted": fields.Boolean(required=True),
                 "quantity": fields.Integer(allow_none=True, load_default=None), "at": fields.String(required=True)}
LEFT_FIELDS = {**VOLUNTEER_FIELDS, "at": fields.String(required=True)}
HOURS_FIELDS = {**VOLUNTEER_FIELDS, "hours": fields.Float(required=True), "on": fields.String(required=True)}
CLOSED_FIELDS = {**SUMMARY_FIELDS, "member_ids": fields.List(fields.String(), required=True)}

PLACES = {"bg": ("1 място", "{n} места"), "en": ("1 place", "{n} places")}
WANTED = {"bg": "нужни: {n}", "en": "wanted: {n}"}
HOURS = {"bg": ("1 час", "{n} часа"), "en": ("1 hour", "{n} hours")}
PROGRESS = {"bg": "{current} от {target} {unit}", "en": "{current} of {target} {unit}"}


def number(value: float | int, language: str) -> str:
    """2 → "2", 2.5 → "2,5" in Bulgarian and "2.5" in English."""
    text = f"{value:g}"
    return text.replace(".", ",") if language == "bg" else text


def counted(words: Mapping[str, tuple[str, str]], n: float | int, language: str) -> str:
    one, many = words[language]
    return one if n == 1 else many.format(n=number(n, language))


def _text(value: Any, language: str) -> str:
    """A bilingual text in ``language`` (or the other when missing); a plain string as it is."""
    if isinstance(value, Mapping):
        return value.get(language) or next((v for v in value.values() if v), "")
    return value or ""


def place_of(place: Any) -> str:
    """A role's place: its name, address and city (or a place given as one line)."""
    if isinstance(place, Mapping):
        return ", ".join(str(place[k]) for k in ("name", "address", "city") if place.get(k))
    return place or ""


def cause_url(data: Mapping[str, Any], base: str) -> str:
    return base.rstrip("/") + CAUSE_PATH.format(cause_id=data["cause_id"])


def cause_context(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    return {"cause_title": _text(data["title"], language), "cause_deadline": when(data["deadline"], SOFIA, language),
            "cause_url": cause_url(data, base)}


def _role_line(role: Mapping[str, Any], kind: str, language: str) -> dict[str, str]:
    slots = role.get("slots") or 0
    amount = WANTED[language].format(n=slots) if kind == "collection" else counted(PLACES, slots, language)
    details = [amount] + ([when(role["when"], SOFIA, language)] if role.get("when") else [])
    return {"title": _text(role.get("title"), language), "detail": ", ".join(details),
            "what_to_bring": _text(role.get("what_to_bring"), language)}


def _goal(goal: Mapping[str, Any] | None, language: str) -> str:
    if not goal:
        return ""
    return PROGRESS[language].format(current=number(goal.get("current") or 0, language),
                                     target=number(goal.get("target") or 0, language),
                                     unit=_text(goal.get("unit"), language)).strip()


def published(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    return {**cause_context(data, language, base), "cause_description": _text(data["description"], language),
            "cause_roles": [_role_line(role, data["kind"], language) for role in data["roles"]],
            "cause_goal": _goal(data.get("goal"), language), "donation_url": data.get("donation_url") or ""}


def _joined_template(data: Mapping[str, Any], member_id: str) -> str:
    if data["status"] == WAITLISTED:
        return "cause_waitlisted"
    return "cause_promoted" if data["promoted"] else "cause_joined"


def _joined(data: Mapping[str, Any], member_id: str, language: str, base: str) -> dict[str, Any]:
    role = data["role"]
    context = {**cause_context(data, language, base), "role_title": _text(role.get("title"), language)}
    if data["status"] == WAITLISTED:
        return {**context, "position": data.get("position") or ""}
    return {**context, "what_to_bring": _text(role.get("what_to_bring"), language),
            "role_when": when(role["when"], SOFIA, language) if role.get("when") else "",
            "role_place": place_of(role.get("place")),
            "quantity": "" if data.get("quantity") is None else number(data["quantity"], language)}


JOINED_PERSONAL = Personal(_joined_template, _joined)


def hours_confirmed(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    return {**cause_context(data, language, base), "hours": counted(HOURS, data["hours"], language),
            "hours_on": on_day(date.fromisoformat(data["on"]), language)}


# --------------------------------------------------------------------------- who still waits

def _time(value: str) -> datetime:
    return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _record(db: Database, session: ClientSession | None, data: Mapping[str, Any], state: dict) -> None:
    """Keep a volunteer row's newest state (events about one row may arrive out of order)."""
    volunteers = db[notification_store.CAUSE_VOLUNTEERS]
    at = _time(data["at"])
    held = volunteers.find_one({"_id": data["volunteer_id"]}, {"at": 1}, session=session)
    if held is not None and _utc(held["at"]) >= at.replace(microsecond=at.microsecond // 1000 * 1000):
        return  # a newer state is kept (stored times keep milliseconds: compare at that precision)
    volunteers.replace_one({"_id": data["volunteer_id"]}, {
        "_id": data["volunteer_id"], "cause_id": data["cause_id"], "member_id": data["member_id"], "at": at, **state},
        upsert=True, session=session)


def on_joined(event: Envelope, ctx: HandlerContext) -> None:
    if notification_store.holds(ctx.db, ctx.session, event.data["member_id"]):
        _record(ctx.db, ctx.session, event.data, {"waiting": event.data["status"] == WAITLISTED})


def on_left(event: Envelope, ctx: HandlerContext) -> None:
    if notification_store.holds(ctx.db, ctx.session, event.data["member_id"]):
        _record(ctx.db, ctx.session, event.data, {"waiting": False, "left": True})


def still_waiting(db: Database, session: ClientSession | None, data: Mapping[str, Any]) -> list[str]:
    """The members the closed event names who wait for a place in some role of the cause."""
    named = set(data.get("member_ids") or [])
    waiting = {row["member_id"] for row in db[notification_store.CAUSE_VOLUNTEERS].find(
        {"cause_id": data["cause_id"], "waiting": True}, {"member_id": 1}, session=session)}
    return sorted(named & waiting)


def forget_member(db: Database, session: ClientSession | None, member_id: str) -> None:
    db[notification_store.CAUSE_VOLUNTEERS].delete_many({"member_id": member_id}, session=session)


TEMPLATES = ("cause_published", "cause_joined", "cause_waitlisted", "cause_promoted", "cause_hours_confirmed",
             "cause_closed")
