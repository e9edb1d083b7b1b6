"""What the mentoring emails say, and to which side of the pair (issue 14).

Each ``members.mentorship.*`` event names in ``notify`` the members to tell this time; each of
them gets the message written for their side (``Personal``: the template per recipient, and
its context), in their language, with the other side's name from the event. All are
transactional (category ``mentoring``: no consent needed) and go by email only: each exists
for its link, which would take most of an SMS.

- ``requested`` → the asked mentor, ``mentoring_requested``: who asks, their message, the
  deadline (Sofia time), the ACCEPT and DECLINE links and the portal's asks page. The links
  are made when the message is built (``handlers.context_for_sending``): a signed token per
  decision for that mentor and request, valid until the deadline (``shared.mentoringlink``);
  the stored delivery keeps only the request id and the deadline.
- ``accepted`` → the mentee, ``mentoring_accepted`` (the mentor's name and the pair's page,
  where they get in touch); the mentor too when named, ``mentoring_accepted_mentor``.
- ``declined`` / ``expired`` → the mentee, ``mentoring_declined`` / ``mentoring_expired``: the
  next choice has been asked (its own ``requested`` follows), or the list is exhausted and
  the link leads to new recommendations. The mentor who let an ask expire, when named,
  ``mentoring_expired_mentor``.
- ``meeting_logged`` → the other side, ``mentoring_meeting_logged``: the day and length only
  (the event carries neither topic nor notes: they stay with the pair).
- ``ended`` → the other side, ``mentoring_ended``: with the invitation to give feedback on
  the pair's page (the side that did not end it has not given any yet).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import fields

from services.notifications.wording import SOFIA, day_of, on_day, when
from shared import memberview

CATEGORY = "mentoring"
# The portal's pages the emails link to (frontends/portal: the mentoring pages).
ASKS_PATH = "/mentoring/asks"
RECOMMENDATIONS_PATH = "/mentoring/recommendations"
MENTORSHIP_PATH = "/mentoring/mentorships/{mentorship_id}"
# In a requested email's stored context: what its one-click links are made from at send time.
DECIDE_REQUEST, DECIDE_DEADLINE = "decide_request_id", "decide_deadline"

# The name of a side erased since (the event then carries none).
NAMELESS = {"bg": "(член, напуснал клуба)", "en": "(a member who has left the club)"}


@dataclass(frozen=True)
class Personal:
    """A message that depends on who receives it: ``template(data, member_id)`` (None: nothing
    for them) and ``context(data, member_id, language, public_base_url)``, in the language the
    event names for them (``language``: for a mentoring pair, ``language_in``)."""

    template: Callable[[Mapping[str, Any], str], str | None]
    context: Callable[[Mapping[str, Any], str, str, str], dict[str, Any]]
    # The recipient's language as the event names it, ``(data, member_id)``; None: the contact's.
    language: Callable[[Mapping[str, Any], str], str | None] | None = None


def language_in(data: Mapping[str, Any], member_id: str) -> str | None:
    """The recipient's language as the event names it (None: the contact's is used)."""
    return (data.get(role_of(data, member_id)) or {}).get("preferred_language")


class Party(memberview.Expectation):
    member_id = fields.String(required=True)
    given_name = fields.String(allow_none=True, load_default=None)
    family_name = fields.String(allow_none=True, load_default=None)
    preferred_language = fields.String(allow_none=True, load_default=None)


PAIR_FIELDS = {"mentor_id": fields.String(required=True), "mentee_id": fields.String(required=True),
               "mentor": fields.Nested(Party, required=True), "mentee": fields.Nested(Party, required=True),
               "notify": fields.List(fields.String(), required=True)}
REQUESTED_FIELDS = {**PAIR_FIELDS, "request_id": fields.String(required=True),
                    "choice": fields.Integer(required=True), "of": fields.Integer(required=True),
                    "message": fields.String(required=True), "deadline": fields.String(required=True)}
ACCEPTED_FIELDS = {**PAIR_FIELDS, "mentorship_id": fields.String(required=True)}
MOVED_ON_FIELDS = {**PAIR_FIELDS, "request_id": fields.String(required=True),
                   "choice": fields.Integer(required=True),
                   "next_mentor_id": fields.String(allow_none=True, load_default=None),
                   "exhausted": fields.Boolean(required=True)}
MEETING_FIELDS = {**PAIR_FIELDS, "mentorship_id": fields.String(required=True),
                  "logged_by": fields.String(required=True), "on": fields.String(required=True),
                  "minutes": fields.Integer(required=True)}
ENDED_FIELDS = {**PAIR_FIELDS, "mentorship_id": fields.String(required=True),
                "ended_by": fields.String(required=True), "reason": fields.String(required=True),
                "meetings": fields.Integer(required=True), "started_at": fields.String(required=True)}


def told(data: Mapping[str, Any]) -> list[str]:
    """The members the event names to tell, if they belong to the pair."""
    pair = (data["mentor_id"], data["mentee_id"])
    return [m for m in dict.fromkeys(data.get("notify") or []) if m in pair]


def role_of(data: Mapping[str, Any], member_id: str) -> str:
    return "mentor" if member_id == data["mentor_id"] else "mentee"


def name_of(party: Mapping[str, Any] | None, language: str) -> str:
    party = party or {}
    name = " ".join(p for p in (party.get("given_name"), party.get("family_name")) if p)
    return name or NAMELESS[language]


def _other_name(data: Mapping[str, Any], member_id: str, language: str) -> str:
    other = "mentee" if role_of(data, member_id) == "mentor" else "mentor"
    return name_of(data.get(other), language)


def _link(base: str, path: str) -> str:
    return base.rstrip("/") + path


def _pair_page(data: Mapping[str, Any], base: str) -> str:
    return _link(base, MENTORSHIP_PATH.format(mentorship_id=data["mentorship_id"]))


def _by_role(mentor: str | None, mentee: str | None) -> Callable[[Mapping[str, Any], str], str | None]:
    return lambda data, member_id: mentor if role_of(data, member_id) == "mentor" else mentee


def _requested(data: Mapping[str, Any], member_id: str, language: str, base: str) -> dict[str, Any]:
    return {"mentee_name": name_of(data["mentee"], language), "request_message": data["message"],
            "deadline": when(data["deadline"], SOFIA, language), "choice": data["choice"], "of": data["of"],
            "asks_url": _link(base, ASKS_PATH), DECIDE_REQUEST: data["request_id"], DECIDE_DEADLINE: data["deadline"]}


def _accepted(data: Mapping[str, Any], member_id: str, language: str, base: str) -> dict[str, Any]:
    return {"other_name": _other_name(data, member_id, language), "mentorship_url": _pair_page(data, base)}


def _moved_on(data: Mapping[str, Any], member_id: str, language: str, base: str) -> dict[str, Any]:
    return {"other_name": _other_name(data, member_id, language), "exhausted": data["exhausted"],
            "recommendations_url": _link(base, RECOMMENDATIONS_PATH), "asks_url": _link(base, ASKS_PATH)}


def _meeting(data: Mapping[str, Any], member_id: str, language: str, base: str) -> dict[str, Any]:
    return {"other_name": _other_name(data, member_id, language),
            "meeting_on": on_day(date.fromisoformat(data["on"]), language), "meeting_minutes": data["minutes"],
            "mentorship_url": _pair_page(data, base)}


def _ended(data: Mapping[str, Any], member_id: str, language: str, base: str) -> dict[str, Any]:
    return {"other_name": _other_name(data, member_id, language), "other_left": data["reason"] == "erased",
            "meetings": data["meetings"], "started_on": day_of(data["started_at"], SOFIA, language),
            "mentorship_url": _pair_page(data, base)}


PERSONAL = {
    "members.mentorship.requested": Personal(_by_role("mentoring_requested", None), _requested, language_in),
    "members.mentorship.accepted": Personal(_by_role("mentoring_accepted_mentor", "mentoring_accepted"), _accepted,
                                            language_in),
    "members.mentorship.declined": Personal(_by_role(None, "mentoring_declined"), _moved_on, language_in),
    "members.mentorship.expired": Personal(_by_role("mentoring_expired_mentor", "mentoring_expired"), _moved_on,
                                           language_in),
    "members.mentorship.meeting_logged": Personal(
        lambda data, member_id: None if member_id == data["logged_by"] else "mentoring_meeting_logged", _meeting,
        language_in),
    "members.mentorship.ended": Personal(
        lambda data, member_id: None if member_id == data["ended_by"] else "mentoring_ended", _ended, language_in),
}
EXPECTS = {"members.mentorship.requested": REQUESTED_FIELDS, "members.mentorship.accepted": ACCEPTED_FIELDS,
           "members.mentorship.declined": MOVED_ON_FIELDS, "members.mentorship.expired": MOVED_ON_FIELDS,
           "members.mentorship.meeting_logged": MEETING_FIELDS, "members.mentorship.ended": ENDED_FIELDS}
# Every template a mentoring event may use (each with its bg/en subject, text and HTML).
TEMPLATES = ("mentoring_requested", "mentoring_accepted", "mentoring_accepted_mentor", "mentoring_declined",
             "mentoring_expired", "mentoring_expired_mentor", "mentoring_meeting_logged", "mentoring_ended")
