"""Ambassadors, as rules: who may apply, the term, what the public finder may show, the reply
target of a contact and its overdue stages, the asker's retention, and the report's
arithmetic (pure: no Flask, no pymongo, no clock; the caller passes ``now``).

- Verified members with the role ``alumnus`` or ``student`` may apply; one open application
  each, none while they are an active ambassador.
- A term runs from ``term_starts`` to ``term_ends`` inclusive, days in the university's
  calendar (Europe/Sofia); the office ending it early makes it inactive at once.
- The finder shows a listed, active ambassador by a random ``public_id``, their regions'
  countries and their languages, and only the fields they chose to make public: never their
  member id, email or phone. A region's cities show only with the field ``regions``.
- A contact is due ``reply target`` after it is assigned. Past due and unanswered, the
  ambassador is nudged once; ``escalate after`` the nudge and still unanswered, the office is
  told once. The first reply (sent or logged) is the one that counts: its time and whether it
  was within the target.
- A finder question keeps its asker's name, email and message for the retention period (one
  year by default), or 30 days past its confirmation deadline when never confirmed.
"""
from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from services.members.schemas import FACULTIES, LANGUAGES, NAME
from shared.clock import CLUB_ZONE
from shared.memberfilter import CountryCode

# The calendar terms, activity dates and the report's periods are counted in (the university's).
LOCAL = CLUB_ZONE

# --- the vocabulary -------------------------------------------------------------------------
ACTIVITY_KINDS = ("conversation", "school_talk", "fair", "referral", "event_hosted")
FINDER_QUESTION = "finder_question"
# Contacts the office assigns; a finder question becomes a contact of its own kind.
ASSIGNED_KINDS = ("prospective_student", "new_international_student", "graduate_abroad")
CONTACT_KINDS = (*ASSIGNED_KINDS, FINDER_QUESTION)
CHANNELS = ("email", "phone", "meeting", "chat", "other")
# Fields an ambassador may make public in the finder (profiles have no photo: none here).
PROFILE_PUBLIC = ("given_name", "family_name", "faculty", "programme", "graduation_year", "city", "country")
PUBLIC_FIELDS = (*PROFILE_PUBLIC, "languages", "bio", "regions")
DEFAULT_PUBLIC_FIELDS = ("given_name",)
APPLICANT_ROLES = ("alumnus", "student")

PENDING, APPOINTED, DECLINED = "pending", "appointed", "declined"
APPLICATION_STATUSES = (PENDING, APPOINTED, DECLINED)
OPEN, REPLIED, CLOSED = "open", "replied", "closed"   # contacts (closed: the ambassador was erased)
CONTACT_STATES = (OPEN, REPLIED)
PENDING_CONFIRMATION, CONFIRMED, ERASED = "pending_confirmation", "confirmed", "erased"   # questions
FINDER, OFFICE = "finder", "office"
VIA_REPLY, VIA_LOGGED = "reply", "logged"
STAGE_AMBASSADOR, STAGE_OFFICE = "ambassador", "office"

MAX_MOTIVATION, MAX_BIO, MAX_MESSAGE, MAX_NOTE, MAX_REASON = 2000, 1000, 2000, 2000, 500
MAX_COUNTRIES, MAX_CITIES, MAX_LANGUAGES, MAX_REGIONS = 20, 20, 15, 20
MAX_PEOPLE_REACHED = 100_000
MAX_REPLY_TARGET_H = 24 * 30
TERM = 1   # years, by default
MAX_TERM_YEARS = 5

# The finder's questions: per normalised email address, at most QUESTION_LIMIT per window.
QUESTION_LIMIT, QUESTION_WINDOW = 3, timedelta(hours=24)
CONFIRM_WITHIN = timedelta(hours=72)
UNCONFIRMED_KEPT = timedelta(days=30)

LANGUAGE = validate.Regexp(r"^[a-z]{2}\Z", error="Must be an ISO 639-1 code, e.g. en.")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> None:
    if CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")
    if not value.strip():
        raise ValidationError("Must not be blank.")


def _distinct(values: list) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Name each one once.")


def _long_text(most: int) -> list:
    return [validate.Length(min=1, max=most), _text]


# --- the shapes of what comes in ------------------------------------------------------------

class ApplicationSchema(Schema):
    motivation = fields.String(required=True, validate=_long_text(MAX_MOTIVATION))
    countries = fields.List(CountryCode(), required=True, validate=[validate.Length(min=1, max=MAX_COUNTRIES),
                                                                    _distinct],
                            metadata={"description": "ISO 3166-1 alpha-2, e.g. IN"})
    cities = fields.List(fields.String(validate=NAME), load_default=list, validate=validate.Length(max=MAX_CITIES))
    languages = fields.List(fields.String(validate=LANGUAGE), required=True,
                            validate=[validate.Length(min=1, max=MAX_LANGUAGES), _distinct],
                            metadata={"description": "ISO 639-1, e.g. en"})
    faculty = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FACULTIES))


class RegionSchema(Schema):
    country = CountryCode(required=True)
    cities = fields.List(fields.String(validate=NAME), load_default=list, validate=validate.Length(max=MAX_CITIES))


def _regions_distinct(regions: list) -> None:
    _distinct([r["country"] for r in regions])


class TermSchema(Schema):
    """Regions, languages and the term (an appointment's defaults come from the application)."""

    regions = fields.List(fields.Nested(RegionSchema), validate=[validate.Length(min=1, max=MAX_REGIONS),
                                                                 _regions_distinct])
    languages = fields.List(fields.String(validate=LANGUAGE), validate=[validate.Length(min=1, max=MAX_LANGUAGES),
                                                                        _distinct])
    term_starts = fields.Date(metadata={"description": "YYYY-MM-DD"})
    term_ends = fields.Date(metadata={"description": "YYYY-MM-DD, the last day"})


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=_long_text(MAX_REASON))


class BioSchema(Schema):
    bg = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_BIO))
    en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_BIO))


class ListingSchema(Schema):
    """What an ambassador decides about their listing in the finder (each optional)."""

    listed = fields.Boolean()
    public_fields = fields.List(fields.String(validate=validate.OneOf(PUBLIC_FIELDS)),
                                validate=[validate.Length(max=len(PUBLIC_FIELDS)), _distinct],
                                metadata={"description": f"among {', '.join(PUBLIC_FIELDS)}"})
    bio = fields.Nested(BioSchema, allow_none=True, metadata={"description": "written for the listing"})


class AskedQuestionSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    country = CountryCode(required=True)
    message = fields.String(required=True, validate=_long_text(MAX_MESSAGE))
    privacy_accepted = fields.Boolean(required=True, validate=validate.Equal(True, error="Must be accepted."))


class ConfirmSchema(Schema):
    token = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                          metadata={"description": "the email link's token (or header X-Question-Token)"})


class ContactSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    kind = fields.String(required=True, validate=validate.OneOf(ASSIGNED_KINDS))
    country = CountryCode(required=True)
    language = fields.String(required=True, validate=LANGUAGE)
    note = fields.String(required=True, validate=_long_text(MAX_NOTE))
    reply_target_h = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(1, MAX_REPLY_TARGET_H),
                                    metadata={"description": "default AMBASSADOR_REPLY_TARGET_S"})


class ReplySchema(Schema):
    message = fields.String(required=True, validate=_long_text(MAX_MESSAGE))


class LogSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    on = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=MAX_NOTE), _text])


class PlaceSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    city = fields.String(load_default=None, allow_none=True, validate=NAME)
    country = CountryCode(required=True)


class ActivitySchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    on = fields.Date(required=True, metadata={"description": "YYYY-MM-DD, not in the future"})
    place = fields.Nested(PlaceSchema, required=True)
    people_reached = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_PEOPLE_REACHED))
    note = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=MAX_NOTE), _text])


# --- who, and when -------------------------------------------------------------------------------

def today(now: datetime) -> date:
    return now.astimezone(LOCAL).date()


def applicant_refusal(member: Mapping[str, Any]) -> str | None:
    """Why this member may not apply (None: they may)."""
    if not member or member.get("status") != "verified":
        return "not_verified"
    if not set(member.get("roles") or ()) & set(APPLICANT_ROLES):
        return "not_alumnus_or_student"
    return None


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:   # 29 February
        return day.replace(year=day.year + years, day=28)


def default_term(now: datetime) -> tuple[date, date]:
    """From today for one year (its last day the day before the anniversary)."""
    starts = today(now)
    return starts, _years_later(starts, TERM) - timedelta(days=1)


def term_errors(starts: date, ends: date) -> dict[str, list[str]]:
    if ends < starts:
        return {"term_ends": ["The term ends after it starts."]}
    if ends > _years_later(starts, MAX_TERM_YEARS):
        return {"term_ends": [f"A term lasts at most {MAX_TERM_YEARS} years."]}
    return {}


def day_of(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def is_active(ambassador: Mapping[str, Any], now: datetime) -> bool:
    """Within the term today, and not ended by the office."""
    if ambassador.get("ended_at") is not None:
        return False
    return day_of(ambassador["term_starts"]) <= today(now) <= day_of(ambassador["term_ends"])


def regions_from(application: Mapping[str, Any]) -> list[dict]:
    """An application's countries as regions; its cities go with its only country (with
    several countries nobody can tell which city is where: the office says on appointment)."""
    countries = application.get("countries") or []
    cities = list(application.get("cities") or []) if len(countries) == 1 else []
    return [{"country": c, "cities": cities} for c in countries]


def countries_of(regions: Iterable[Mapping[str, Any]]) -> list[str]:
    return [r["country"] for r in regions]


# --- the public finder -----------------------------------------------------------------------

def finder_card(ambassador: Mapping[str, Any], member: Mapping[str, Any]) -> dict[str, Any]:
    """What the finder shows of a listed ambassador: ``public_id``, the countries of their
    regions and their languages, then only the fields they made public. ``languages`` made
    public adds the languages of their profile (``spoken_languages``); ``regions`` the cities."""
    public = set(ambassador.get("public_fields") or ())
    card: dict[str, Any] = {
        "public_id": ambassador["public_id"],
        "regions": [{"country": r["country"], "cities": list(r.get("cities") or []) if "regions" in public else []}
                    for r in ambassador.get("regions") or []],
        "languages": list(ambassador.get("languages") or []),
    }
    for name in PROFILE_PUBLIC:
        if name in public and member.get(name) is not None:
            card[name] = member[name]
    if "languages" in public and member.get("languages"):
        card["spoken_languages"] = list(member["languages"])
    bio = ambassador.get("bio") or {}
    if "bio" in public and any(bio.values()):
        card["bio"] = {"bg": bio.get("bg"), "en": bio.get("en")}
    return card


# --- contacts and their reply target ------------------------------------------------------------

def due_at(assigned_at: datetime, target: timedelta) -> datetime:
    return assigned_at + target


def is_overdue(contact: Mapping[str, Any], now: datetime) -> bool:
    return contact.get("state") == OPEN and now >= contact["due_at"]


def nudge_due(contact: Mapping[str, Any], now: datetime) -> bool:
    """Past due, unanswered and not nudged yet: the ambassador is nudged (stage ambassador)."""
    return is_overdue(contact, now) and contact.get("nudged_at") is None


def escalation_at(contact: Mapping[str, Any], escalate_after: timedelta) -> datetime | None:
    nudged = contact.get("nudged_at")
    return None if nudged is None else nudged + escalate_after


def escalation_due(contact: Mapping[str, Any], now: datetime, escalate_after: timedelta) -> bool:
    """Nudged ``escalate_after`` ago, still unanswered and not escalated: the office is told."""
    at = escalation_at(contact, escalate_after)
    return contact.get("state") == OPEN and contact.get("escalated_at") is None and at is not None and now >= at


def reply_seconds(contact: Mapping[str, Any], replied_at: datetime) -> int:
    return max(0, int((replied_at - contact["assigned_at"]).total_seconds()))


def within_target(contact: Mapping[str, Any], replied_at: datetime) -> bool:
    return replied_at <= contact["due_at"]


def log_errors(logged: Mapping[str, Any], contact: Mapping[str, Any], now: datetime) -> dict[str, list[str]]:
    if logged["on"] > today(now):
        return {"on": ["A contact is logged once it has happened: not in the future."]}
    if logged["on"] < today(contact["assigned_at"]):
        return {"on": ["The contact was assigned later."]}
    return {}


def activity_errors(activity: Mapping[str, Any], now: datetime) -> dict[str, list[str]]:
    if activity["on"] > today(now):
        return {"on": ["An activity is logged once it has happened: not in the future."]}
    return {}


# --- finder questions --------------------------------------------------------------------------

def email_key(normalised_email: str) -> str:
    """The rate counter's key of an address: hashed, so the counter holds no address."""
    return "question:" + hashlib.sha256(normalised_email.encode()).hexdigest()


def question_erase_due(question: Mapping[str, Any], now: datetime) -> bool:
    """The asker's data is to go: past ``erase_after``, or never confirmed and 30 days past
    the confirmation deadline."""
    if question.get("state") == ERASED:
        return False
    if now >= question["erase_after"]:
        return True
    return question.get("state") == PENDING_CONFIRMATION and now >= question["confirm_until"] + UNCONFIRMED_KEPT


# --- the report --------------------------------------------------------------------------------

def period(starts: date | None, ends: date | None, now: datetime) -> tuple[date, date]:
    """The report's days: ``ends`` default today, ``starts`` the twelve months up to ``ends``."""
    ends = ends or today(now)
    return starts or _years_later(ends, -1) + timedelta(days=1), ends


def median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def report_rows(ambassadors: Iterable[Mapping[str, Any]], names: Mapping[str, str | None],
                contacts: Iterable[Mapping[str, Any]], activities: Iterable[Mapping[str, Any]]) -> list[dict]:
    """One row per ambassador and country: the countries of their regions, and any other where
    a contact or an activity of the period was. ``contacts``: assigned in the period
    (``{member_id, country, replied_at, reply_seconds, within_target}``); ``activities``: of the
    period (``{member_id, kind, people_reached, place: {country}}``)."""
    rows: dict[tuple[str, str], dict] = {}
    replies: dict[tuple[str, str], list[int]] = {}

    def row(member_id: str, country: str) -> dict:
        key = (member_id, country)
        if key not in rows:
            rows[key] = {"member_id": member_id, "name": names.get(member_id), "country": country, "contacts": 0,
                         "replied": 0, "replied_within_target": 0, "median_reply_hours": None,
                         "activities": {kind: 0 for kind in ACTIVITY_KINDS}, "people_reached": 0}
            replies[key] = []
        return rows[key]

    for ambassador in ambassadors:
        for country in countries_of(ambassador.get("regions") or []):
            row(ambassador["_id"], country)
    for contact in contacts:
        counted = row(contact["member_id"], contact["country"])
        counted["contacts"] += 1
        if contact.get("replied_at") is not None:
            counted["replied"] += 1
            counted["replied_within_target"] += 1 if contact.get("within_target") else 0
            replies[contact["member_id"], contact["country"]].append(contact["reply_seconds"])
    for activity in activities:
        counted = row(activity["member_id"], activity["place"]["country"])
        counted["activities"][activity["kind"]] += 1
        counted["people_reached"] += activity["people_reached"]
    for key, counted in rows.items():
        counted["median_reply_hours"] = hours(median(replies[key]))
    return sorted(rows.values(), key=lambda r: ((r["name"] or "~").casefold(), r["member_id"], r["country"]))
