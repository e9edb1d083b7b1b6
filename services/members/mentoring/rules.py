"""Mentoring, as rules: the mentor's offer and the mentee's request, who may mentor and who may
be mentored, the score behind a recommendation, the request cascade, meetings and feedback,
capacity, and the office's figures (pure: no Flask, no pymongo, no clock: the caller passes
``now``; every rule is a direct test).

- A mentor is a verified alumnus (never a student) who opted in; a mentee is a verified
  student, or a verified graduate of the last N years (default 3), judged by calendar year.
- A recommendation is a score that explains itself: each factor has a weight (configuration)
  and a value from 0 to 1, the total is the sum of weight x value. With weights >= 0 a factor
  that grows never lowers the total. Ties are broken by mentor id, so the same data always
  gives the same ranking. Paused and full mentors, those the mentee already asked, and the
  mentee themself are never offered.
- A mentor's places: active mentorships plus asks still pending never exceed the capacity.
- A request names up to 3 mentors in order of preference; only one is asked at a time. A
  decline or an expiry (no answer by the deadline, default 3 days) asks the next choice; when
  none is left the request is exhausted and the mentee is told. Every transition is a function
  of the request and ``now`` that returns the new request and the events it emits, or raises
  :class:`Refused` saying why (and what had happened, for a second click on an email link).
"""
from __future__ import annotations

import math
import re
import statistics
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.members.schemas import NAME, SHORT_TEXT
from shared.clock import CLUB_ZONE

# The calendar the programme counts years and meeting dates in (the university's).
LOCAL = CLUB_ZONE

# --- the vocabulary -------------------------------------------------------------------------
# What a mentor offers to talk about: a short fixed list, so that mentees and mentors meet on
# the same words; each with its Bulgarian and English label for the portal. Adding a topic is
# adding a line here (stored offers keep their ids).
TOPICS: dict[str, tuple[str, str]] = {
    "specialty_choice": ("Избор на специалност", "Choosing a specialty"),
    "residency_and_exams": ("Специализация и изпити", "Residency and exams"),
    "research": ("Научна работа", "Research"),
    "working_abroad": ("Работа в чужбина", "Working abroad"),
    "private_practice": ("Частна практика", "Private practice"),
    "career_outside_clinic": ("Кариера извън клиниката", "Careers outside the clinic"),
    "work_life_balance": ("Баланс между работа и живот", "Work-life balance"),
}
ONLINE, IN_PERSON = "online", "in_person"
FORMATS = (ONLINE, IN_PERSON)
DEFAULT_CAPACITY, MIN_CAPACITY, MAX_CAPACITY = 2, 1, 10
MAX_SPECIALTIES, MAX_LANGUAGES = 5, 15
MAX_CHOICES = 3
MAX_MESSAGE = 1000
MAX_TOPIC_TEXT, MAX_NOTES, MAX_FEEDBACK = 200, 5000, 2000
MIN_MEETING_MINUTES, MAX_MEETING_MINUTES = 5, 600
RATINGS = (1, 5)
DEFAULT_RECENT_YEARS = 3
DEFAULT_DEADLINE = timedelta(days=3)
STALLED_AFTER = timedelta(days=60)
MEMBER_ID = validate.Regexp(r"^[0-9a-f]{32}\Z", error="Must be a member id (32 hexadecimal digits).")
LANGUAGE = validate.Regexp(r"^[a-z]{2}\Z", error="Must be an ISO 639-1 code, e.g. de.")
# Control characters other than line breaks and tabs (a message or notes may hold them).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> None:
    if CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")
    if not value.strip():
        raise ValidationError("Must not be blank.")


def _distinct(values: list) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Name each one once.")


def match_key(text: str | None) -> str | None:
    """A specialty or city as compared and indexed: case and spacing do not matter."""
    return " ".join(text.split()).casefold() if text and text.strip() else None


# --- the offer and the request --------------------------------------------------------------

class MentorOfferSchema(Schema):
    """What a mentor offers (an update loads it with ``partial=True``)."""

    topics = fields.List(fields.String(validate=validate.OneOf(TOPICS)), required=True,
                         validate=[validate.Length(min=1, max=len(TOPICS)), _distinct],
                         metadata={"description": f"among {', '.join(TOPICS)}"})
    specialties = fields.List(fields.String(validate=SHORT_TEXT), load_default=list,
                              validate=validate.Length(max=MAX_SPECIALTIES),
                              metadata={"description": "medical specialties, e.g. кардиология"})
    languages = fields.List(fields.String(validate=LANGUAGE), required=True,
                            validate=[validate.Length(min=1, max=MAX_LANGUAGES), _distinct],
                            metadata={"description": "ISO 639-1 codes, e.g. bg, en"})
    formats = fields.List(fields.String(validate=validate.OneOf(FORMATS)), required=True,
                          validate=[validate.Length(min=1, max=len(FORMATS)), _distinct])
    city = fields.String(allow_none=True, load_default=None, validate=NAME,
                         metadata={"description": "where in-person meetings are possible"})
    capacity = fields.Integer(load_default=DEFAULT_CAPACITY, strict=True,
                              validate=validate.Range(MIN_CAPACITY, MAX_CAPACITY),
                              metadata={"description": "mentees at once"})
    paused = fields.Boolean(load_default=False, metadata={"description": "offered to nobody while true"})

    @validates_schema
    def _city_for_meetings(self, data: dict, partial: bool | None = None, **_) -> None:
        # A partial update that leaves the city out is checked against the stored offer by
        # the caller (offer_errors of the merged offer), not here.
        errors = {} if partial and "city" not in data else offer_errors(data)
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        if data.get("specialties") is not None:
            seen: dict[str, str] = {}
            for specialty in data["specialties"]:
                seen.setdefault(match_key(specialty), " ".join(specialty.split()))
            data["specialties"] = list(seen.values())
        if data.get("city"):
            data["city"] = " ".join(data["city"].split())
        return data


def offer_errors(offer: Mapping[str, Any]) -> dict[str, list[str]]:
    """What is wrong across the fields of an offer as stored after an update (``{}``: fine)."""
    if IN_PERSON in (offer.get("formats") or ()) and not match_key(offer.get("city")):
        return {"city": ["In-person meetings need a city."]}
    return {}


class MentorshipRequestSchema(Schema):
    """A mentee's request: mentors in order of preference and a short message to them."""

    mentors = fields.List(fields.String(validate=MEMBER_ID), required=True,
                          validate=[validate.Length(min=1, max=MAX_CHOICES), _distinct],
                          metadata={"description": f"1 to {MAX_CHOICES} mentor ids, the first preferred"})
    message = fields.String(required=True, validate=[validate.Length(min=1, max=MAX_MESSAGE), _no_control])


def request_errors(request: Mapping[str, Any], mentee_id: str,
                   already_asked: Collection[str] = ()) -> dict[str, list[str]]:
    """What is wrong with a loaded request for this mentee, by the position of the mentor at
    fault (``{}``: fine): themself, or a mentor they already asked (in an open request or a
    mentorship: the caller's list)."""
    faults = {}
    for position, mentor_id in enumerate(request["mentors"]):
        if mentor_id == mentee_id:
            faults[position] = ["You cannot be your own mentor."]
        elif mentor_id in already_asked:
            faults[position] = ["You have already asked this mentor."]
    return {"mentors": faults} if faults else {}


class WishesSchema(Schema):
    """What a mentee looks for when asking for recommendations (all optional: the profile's
    specialty, languages and city are used when left out)."""

    topics = fields.List(fields.String(validate=validate.OneOf(TOPICS)), load_default=list,
                         validate=[validate.Length(max=len(TOPICS)), _distinct])
    specialties = fields.List(fields.String(validate=SHORT_TEXT), load_default=list,
                              validate=validate.Length(max=MAX_SPECIALTIES))
    languages = fields.List(fields.String(validate=LANGUAGE), validate=validate.Length(max=MAX_LANGUAGES))
    city = fields.String(allow_none=True, validate=NAME)


def seeker(member: Mapping[str, Any], wishes: Mapping[str, Any]) -> dict[str, Any]:
    """The mentee as the score sees them: their id, and the wishes completed from their profile."""
    specialties = list(wishes.get("specialties") or ())
    if member.get("specialty"):
        specialties.append(member["specialty"])
    languages = wishes.get("languages")
    return {"id": member["_id"], "topics": list(wishes.get("topics") or ()),
            "specialties": specialties,
            "languages": list(languages if languages is not None else member.get("languages") or ()),
            "city": wishes["city"] if "city" in wishes else member.get("city")}


# --- who may take part ----------------------------------------------------------------------
# Reasons, one place: the API maps them to its problems and the portal to its sentences.
NOT_VERIFIED, NOT_ALUMNUS, NOT_OPTED_IN = "not_verified", "not_alumnus", "not_opted_in"
NOT_STUDENT_OR_RECENT, NO_GRADUATION_YEAR = "not_student_or_recent_graduate", "no_graduation_year"


def mentor_refusal(member: Mapping[str, Any], *, opting_in: bool = False) -> str | None:
    """Why ``member`` may not mentor, or None. ``opting_in``: the member is making an offer
    now, which is the opt-in, so the profile's ``open_to_mentoring`` is not yet required."""
    roles = member.get("roles") or ()
    if member.get("status") != "verified":
        return NOT_VERIFIED
    if "alumnus" not in roles or "student" in roles:
        return NOT_ALUMNUS
    if not opting_in and member.get("open_to_mentoring") is not True:
        return NOT_OPTED_IN
    return None


def years_since_graduation(member: Mapping[str, Any], now: datetime) -> int | None:
    """Whole calendar years since the member's graduation year (0 in that year), or None."""
    year = member.get("graduation_year")
    return None if year is None else now.astimezone(LOCAL).year - year


def mentee_refusal(member: Mapping[str, Any], now: datetime,
                   recent_years: int = DEFAULT_RECENT_YEARS) -> str | None:
    """Why ``member`` may not be mentored, or None. A verified student may; so may a verified
    graduate until the end of the ``recent_years``-th calendar year after graduating (only the
    year is known: a 2023 graduate may ask until 31 December 2026 with the default 3)."""
    if member.get("status") != "verified":
        return NOT_VERIFIED
    if "student" in (member.get("roles") or ()):
        return None
    years = years_since_graduation(member, now)
    if years is None:
        return NO_GRADUATION_YEAR
    return None if 0 <= years <= recent_years else NOT_STUDENT_OR_RECENT


# --- capacity -------------------------------------------------------------------------------
# An ask takes a place while it waits (so a mentor asked by many cannot be promised twice),
# an acceptance turns it into an active mentorship, a decline, an expiry or a withdrawal gives
# it back, and so does the end of a mentorship. The store keeps the counts on the offer and
# changes them in conditional updates (take only while a place is free), which is what keeps
# two mentees from both getting the last place.

def free_places(offer: Mapping[str, Any], active: int, pending: int) -> int:
    """Places left: the capacity minus active mentorships and asks still pending (0 when a
    mentor lowered the capacity below what they already have)."""
    return max(0, offer.get("capacity", DEFAULT_CAPACITY) - active - pending)


def is_offered(offer: Mapping[str, Any], active: int, pending: int) -> bool:
    """Whether a mentor may be asked now: not paused, with a free place."""
    return not offer.get("paused") and free_places(offer, active, pending) > 0


# --- the score ------------------------------------------------------------------------------
# Factors in the order they are shown, each valued from 0 to 1 (see _factor_values).
FACTORS = ("shared_specialty", "topics", "common_language", "place", "free_capacity", "reply_time",
           "acceptance", "experience")
DEFAULT_WEIGHTS: dict[str, float] = {
    "shared_specialty": 3.0, "topics": 2.0, "common_language": 2.0, "place": 1.0,
    "free_capacity": 1.0, "reply_time": 1.0, "acceptance": 1.0, "experience": 0.5}
# Replies slower than the default deadline count as no better than none. Experience (years
# since graduation) counts up to ten years: past that every mentor has seen the road a
# student asks about, and the older classes should not crowd out the younger ones.
SLOW_REPLY_HOURS = DEFAULT_DEADLINE.total_seconds() / 3600
EXPERIENCE_YEARS = 10
UNKNOWN = 0.5   # a new mentor's reply time: neither fast nor slow


def weights(overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The default weights with ``overrides``; unknown factors and negative or non-finite
    weights raise ValueError naming them (a negative weight would break "more never lowers")."""
    merged = dict(DEFAULT_WEIGHTS)
    for name, value in (overrides or {}).items():
        if name not in FACTORS:
            raise ValueError(f"Unknown mentoring factor {name!r}; known: {', '.join(FACTORS)}.")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ValueError(f"The weight of {name} must be a number >= 0, not {value!r}.")
        merged[name] = float(value)
    return merged


def parse_weights(text: str) -> dict[str, float]:
    """Weights from a setting such as ``"shared_specialty=3, topics=2.5"`` (empty: defaults)."""
    overrides: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            overrides[name.strip()] = float(value) if sep else math.nan
        except ValueError:
            raise ValueError(f"The weight of {name.strip()} must be a number, not {value.strip()!r}.") from None
    return weights(overrides)


@dataclass(frozen=True)
class Factor:
    name: str
    weight: float
    value: float

    @property
    def points(self) -> float:
        return self.weight * self.value


@dataclass(frozen=True)
class Score:
    """A mentor's score for one mentee: the total and the factors that make it."""

    mentor_id: str
    total: float
    factors: tuple[Factor, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"mentor_id": self.mentor_id, "total": round(self.total, 4),
                "factors": [{"name": f.name, "weight": f.weight, "value": round(f.value, 4),
                             "points": round(f.points, 4)} for f in self.factors]}


def _keys(texts: Iterable[str | None]) -> set[str]:
    return {k for k in map(match_key, texts) if k}


def _factor_values(mentee: Mapping[str, Any], mentor: Mapping[str, Any], now: datetime) -> dict[str, float]:
    """Each factor's value from 0 to 1.

    ``mentor``: the offer with ``id``, ``active`` and ``pending`` counts, ``graduation_year``
    and ``stats`` (:func:`mentor_stats`: ``accepted``, ``declined``, ``expired``,
    ``median_reply_hours``). ``mentee``: :func:`seeker`."""
    wanted_topics = set(mentee.get("topics") or ())
    capacity = mentor.get("capacity", DEFAULT_CAPACITY)
    stats = mentor.get("stats") or {}
    hours = stats.get("median_reply_hours")
    answered = sum(stats.get(k, 0) for k in ("accepted", "declined", "expired"))
    years = years_since_graduation(mentor, now)
    formats = mentor.get("formats") or ()
    same_city = IN_PERSON in formats and match_key(mentor.get("city")) is not None \
        and match_key(mentor.get("city")) == match_key(mentee.get("city"))
    return {
        "shared_specialty": float(bool(_keys(mentee.get("specialties") or ())
                                       & _keys(mentor.get("specialties") or ()))),
        # The share of the mentee's topics the mentor offers (none wished: nothing to match).
        "topics": len(wanted_topics & set(mentor.get("topics") or ())) / len(wanted_topics) if wanted_topics else 0.0,
        "common_language": float(bool(set(mentee.get("languages") or ()) & set(mentor.get("languages") or ()))),
        "place": float(ONLINE in formats or same_city),
        "free_capacity": free_places(mentor, mentor.get("active", 0), mentor.get("pending", 0)) / max(capacity, 1),
        "reply_time": UNKNOWN if hours is None else max(0.0, 1 - hours / SLOW_REPLY_HOURS),
        # Laplace's rule: a new mentor is at 1/2, one answer does not make 0 or 1.
        "acceptance": (stats.get("accepted", 0) + 1) / (answered + 2),
        "experience": 0.0 if years is None or years < 0 else min(years, EXPERIENCE_YEARS) / EXPERIENCE_YEARS,
    }


def score(mentee: Mapping[str, Any], mentor: Mapping[str, Any], now: datetime,
          weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> Score:
    """The mentor's score for the mentee, factor by factor (in :data:`FACTORS` order)."""
    values = _factor_values(mentee, mentor, now)
    factors = tuple(Factor(name, float(weights.get(name, 0.0)), values[name]) for name in FACTORS)
    return Score(mentor["id"], sum(f.points for f in factors), factors)


def recommend(mentee: Mapping[str, Any], candidates: Iterable[Mapping[str, Any]], now: datetime,
              weights: Mapping[str, float] = DEFAULT_WEIGHTS, already_asked: Collection[str] = (),
              limit: int = 10) -> list[Score]:
    """The best ``limit`` candidates for the mentee, best first, ties by mentor id. Never a
    paused or full mentor, one the mentee already asked, or the mentee themself; a candidate
    listed twice (the union of several queries) counts once, as first listed."""
    listed: dict[str, Mapping[str, Any]] = {}
    for mentor in candidates:
        listed.setdefault(mentor["id"], mentor)
    scores = (score(mentee, mentor, now, weights) for mentor_id, mentor in listed.items()
              if mentor_id != mentee["id"] and mentor_id not in already_asked
              and is_offered(mentor, mentor.get("active", 0), mentor.get("pending", 0)))
    return sorted(scores, key=lambda s: (-s.total, s.mentor_id))[:max(0, limit)]


# --- the bounded candidate set ----------------------------------------------------------------
# Scoring every mentor per request would read the whole collection. Instead the store finds
# a few capped groups of offers that are offered now (not paused, ``free`` > 0: the store
# keeps ``free`` on the offer, changed in the same conditional update that takes or gives
# back a place):
#   1. offers sharing one of the mentee's specialty keys   (PER_QUERY of them)
#   2. offers sharing one of the mentee's languages        (PER_QUERY)
#   3. the offers with the most free places                (BY_CAPACITY)
# each group the first of its offers by free places (most first) then id, the mentee and the
# mentors they asked left out; the union is scored. A mentor who shares nothing still has a
# chance through 3, so a mentee with no specialty or language still gets recommendations.
# The store reads each group with equality-only finds, one per (key or language, free places)
# from MAX_CAPACITY down, each capped and stopping once the group is full (see
# ``store.candidates`` for why), so the documents and commands are bounded below.
PER_QUERY, BY_CAPACITY, MAX_QUERY_VALUES = 200, 50, 10


@dataclass(frozen=True)
class CandidateQuery:
    specialty_keys: tuple[str, ...]
    languages: tuple[str, ...]
    per_query: int = PER_QUERY
    by_capacity: int = BY_CAPACITY
    exclude: tuple[str, ...] = field(default=())   # the mentee and the mentors already asked

    def groups(self) -> list[tuple[str | None, tuple[str, ...], int]]:
        """(the offers' field, its values, the group's cap) per group; ``None``: every offer."""
        asked = [("specialty_keys", self.specialty_keys, self.per_query), ("languages", self.languages, self.per_query)]
        return [group for group in asked if group[1]] + [(None, ("",), self.by_capacity)]

    @property
    def most_commands(self) -> int:
        return sum(len(values) for _, values, _ in self.groups()) * MAX_CAPACITY

    @property
    def most_documents(self) -> int:
        # A value's find for one number of free places returns at most what its group still
        # needs plus the excluded (dropped in Python); it can only return more than the group
        # keeps at the last number it is asked for, or by the excluded at each number.
        return sum(len(values) * (cap + len(self.exclude) * MAX_CAPACITY) for _, values, cap in self.groups())


def candidate_query(mentee: Mapping[str, Any], already_asked: Collection[str] = ()) -> CandidateQuery:
    """What the store asks for to find the mentee's candidates (see the comment above)."""
    specialties = sorted(_keys(mentee.get("specialties") or ()))[:MAX_QUERY_VALUES]
    languages = sorted(set(mentee.get("languages") or ()))[:MAX_QUERY_VALUES]
    return CandidateQuery(tuple(specialties), tuple(languages),
                          exclude=tuple(sorted({mentee["id"], *already_asked})))


def specialty_keys(offer: Mapping[str, Any]) -> list[str]:
    """The offer's indexed specialty keys (stored beside the offer for query 1)."""
    return sorted(_keys(offer.get("specialties") or ()))


# --- the request cascade ----------------------------------------------------------------------
PENDING, ACCEPTED, EXHAUSTED, WITHDRAWN = "pending", "accepted", "exhausted", "withdrawn"
STATES = (PENDING, ACCEPTED, EXHAUSTED, WITHDRAWN)
# What became of one ask: the mentor's answer, the clock's, the mentee's, or skipped (the
# choice was paused, full or no longer mentoring when its turn came).
DECLINED, EXPIRED, SKIPPED = "declined", "expired", "skipped"
OUTCOMES = (ACCEPTED, DECLINED, EXPIRED, WITHDRAWN, SKIPPED)

REQUESTED_EVENT = "members.mentorship.requested"
ACCEPTED_EVENT = "members.mentorship.accepted"
DECLINED_EVENT = "members.mentorship.declined"
EXPIRED_EVENT = "members.mentorship.expired"
MEETING_LOGGED_EVENT = "members.mentorship.meeting_logged"
ENDED_EVENT = "members.mentorship.ended"

# Why a transition is refused, one place: the API maps them (409, 410, 403), the email link's
# page says what happened.
NOT_PENDING, PAST_DEADLINE, NOT_ASKED, NOT_DUE, NOT_MENTEE = (
    "not_pending", "past_deadline", "not_asked", "not_due", "not_mentee")
NOT_ACTIVE, NOT_ENDED, NOT_IN_PAIR, ALREADY_GIVEN = "not_active", "not_ended", "not_in_pair", "already_given"


class Refused(Exception):
    """A transition that is not allowed from the current state. ``reason`` is one of the codes
    above; ``state`` the request's (or mentorship's) state; ``outcome`` what became of the
    acting mentor's ask, when there is one (what a second click on an email link shows)."""

    def __init__(self, reason: str, message: str, state: str | None = None, outcome: str | None = None):
        super().__init__(message)
        self.reason, self.state, self.outcome = reason, state, outcome


@dataclass(frozen=True)
class Emitted:
    """An event a transition causes: its type, the data (see each transition), and the member
    ids to be told (notifications picks the template by type)."""

    type: str
    data: dict[str, Any]
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Transition:
    document: dict[str, Any]
    events: tuple[Emitted, ...]


# A request, as stored: {_id, mentee_id, choices: [mentor ids], message, state, index (of the
# choice asked now, or the last one asked), asked_at, deadline (of the ask pending),
# created_at, ended_at, answers: [{mentor_id, choice, outcome, asked_at, at}]}.


def _ask_next(request: dict[str, Any], start: int, now: datetime, deadline: timedelta,
              unavailable: Collection[str]) -> list[Emitted]:
    """Asks the first available choice from ``start``; skips the unavailable; exhausts."""
    for index in range(start, len(request["choices"])):
        mentor_id = request["choices"][index]
        if mentor_id in unavailable:
            request["answers"].append({"mentor_id": mentor_id, "choice": index + 1, "outcome": SKIPPED,
                                       "asked_at": None, "at": now})
            continue
        request.update(state=PENDING, index=index, asked_at=now, deadline=now + deadline)
        return [Emitted(REQUESTED_EVENT, {
            "request_id": request["_id"], "mentee_id": request["mentee_id"], "mentor_id": mentor_id,
            "choice": index + 1, "of": len(request["choices"]), "message": request["message"],
            "deadline": request["deadline"]}, (mentor_id,))]
    request.update(state=EXHAUSTED, deadline=None, ended_at=now)
    return []


def start(request_id: str, mentee_id: str, choices: list[str], message: str, now: datetime, *,
          deadline: timedelta = DEFAULT_DEADLINE, unavailable: Collection[str] = ()) -> Transition:
    """A new request: its first available choice is asked (``requested``, told to that mentor).
    Choices in ``unavailable`` are skipped; with none available it is born exhausted (the API
    refuses it rather than store it). Choices are distinct, at most 3, never the mentee."""
    if not 1 <= len(choices) <= MAX_CHOICES or len(set(choices)) != len(choices) or mentee_id in choices:
        raise ValueError(f"1 to {MAX_CHOICES} distinct mentors, never the mentee.")
    request: dict[str, Any] = {"_id": request_id, "mentee_id": mentee_id, "choices": list(choices),
                               "message": message, "state": PENDING, "index": 0, "asked_at": None,
                               "deadline": None, "created_at": now, "ended_at": None, "answers": []}
    events = _ask_next(request, 0, now, deadline, unavailable)
    return Transition(request, tuple(events))


def asked_mentor(request: Mapping[str, Any]) -> str | None:
    """The mentor whose answer the request waits for, or None when it waits for no one."""
    return request["choices"][request["index"]] if request["state"] == PENDING else None


def outcome_for(request: Mapping[str, Any], mentor_id: str) -> str | None:
    """What became of the ask to ``mentor_id``: an outcome, ``pending`` (theirs to answer), or
    None when they were never asked."""
    if asked_mentor(request) == mentor_id:
        return PENDING
    return next((a["outcome"] for a in reversed(request["answers"]) if a["mentor_id"] == mentor_id), None)


def is_due(request: Mapping[str, Any], now: datetime) -> bool:
    """Whether the pending ask's deadline has passed (the timer's question)."""
    return request["state"] == PENDING and now >= request["deadline"]


def _answerable(request: Mapping[str, Any], mentor_id: str, now: datetime) -> None:
    state = request["state"]
    if asked_mentor(request) != mentor_id:
        outcome = outcome_for(request, mentor_id)
        if outcome is None:
            raise Refused(NOT_ASKED, "This request does not wait for this mentor's answer.", state)
        raise Refused(NOT_PENDING, f"Already {outcome}; the request is {state}.", state, outcome)
    if now >= request["deadline"]:
        raise Refused(PAST_DEADLINE, "The time to answer has passed.", state, EXPIRED)


def _record(request: Mapping[str, Any], outcome: str, now: datetime) -> dict[str, Any]:
    """A copy of the request with the pending ask's answer appended."""
    copy = {**request, "answers": [*request["answers"], {
        "mentor_id": request["choices"][request["index"]], "choice": request["index"] + 1,
        "outcome": outcome, "asked_at": request["asked_at"], "at": now}]}
    return copy


def _answer_data(request: Mapping[str, Any], mentor_id: str) -> dict[str, Any]:
    return {"request_id": request["_id"], "mentee_id": request["mentee_id"], "mentor_id": mentor_id,
            "choice": request["index"] + 1}


def accept(request: Mapping[str, Any], mentor_id: str, now: datetime, mentorship_id: str) -> Transition:
    """The asked mentor says yes before the deadline: the request is accepted and a mentorship
    ``mentorship_id`` starts (``accepted``, told to the mentee). The mentor's place stays taken:
    their pending ask becomes an active mentorship."""
    _answerable(request, mentor_id, now)
    accepted = _record(request, ACCEPTED, now) | {"state": ACCEPTED, "deadline": None, "ended_at": now,
                                                  "mentorship_id": mentorship_id}
    data = _answer_data(request, mentor_id) | {"mentorship_id": mentorship_id}
    return Transition(accepted, (Emitted(ACCEPTED_EVENT, data, (request["mentee_id"],)),))


def _move_on(request: Mapping[str, Any], mentor_id: str, outcome: str, event: str, now: datetime,
             deadline: timedelta, unavailable: Collection[str], notify: tuple[str, ...]) -> Transition:
    moved = _record(request, outcome, now)
    asks = _ask_next(moved, request["index"] + 1, now, deadline, unavailable)
    data = _answer_data(request, mentor_id) | {"next_mentor_id": asked_mentor(moved),
                                               "exhausted": moved["state"] == EXHAUSTED}
    return Transition(moved, (Emitted(event, data, notify), *asks))


def decline(request: Mapping[str, Any], mentor_id: str, now: datetime, *,
            deadline: timedelta = DEFAULT_DEADLINE, unavailable: Collection[str] = ()) -> Transition:
    """The asked mentor says no before the deadline: ``declined`` (told to the mentee, with the
    next mentor asked or ``exhausted``), then the next available choice is asked."""
    _answerable(request, mentor_id, now)
    return _move_on(request, mentor_id, DECLINED, DECLINED_EVENT, now, deadline, unavailable,
                    (request["mentee_id"],))


def expire(request: Mapping[str, Any], now: datetime, *, deadline: timedelta = DEFAULT_DEADLINE,
           unavailable: Collection[str] = ()) -> Transition:
    """The deadline passed without an answer: ``expired`` (told to the mentee and to the mentor
    who let it pass), then the next available choice is asked."""
    if request["state"] != PENDING:
        raise Refused(NOT_PENDING, f"The request is {request['state']}.", request["state"])
    if now < request["deadline"]:
        raise Refused(NOT_DUE, "The time to answer has not passed yet.", request["state"])
    mentor_id = asked_mentor(request)
    return _move_on(request, mentor_id, EXPIRED, EXPIRED_EVENT, now, deadline, unavailable,
                    (request["mentee_id"], mentor_id))


def withdraw(request: Mapping[str, Any], mentee_id: str, now: datetime) -> Transition:
    """The mentee takes the request back while it waits: the asked mentor's place is free
    again. No event (none is in the catalogue yet); the mentor's link then says withdrawn."""
    if mentee_id != request["mentee_id"]:
        raise Refused(NOT_MENTEE, "Only the mentee may withdraw the request.", request["state"])
    if request["state"] != PENDING:
        raise Refused(NOT_PENDING, f"The request is {request['state']}.", request["state"])
    withdrawn = _record(request, WITHDRAWN, now) | {"state": WITHDRAWN, "deadline": None, "ended_at": now}
    return Transition(withdrawn, ())


# --- the mentorship -----------------------------------------------------------------------------
ACTIVE, ENDED = "active", "ended"

# A mentorship, as stored: {_id, request_id, mentor_id, mentee_id, state, started_at,
# ended_at, ended_by, last_meeting_on (date), meetings: count, feedback: {member id:
# {rating, text, at}}}; meetings are {_id, mentorship_id, on, minutes, topic, notes, by, at}.


class MeetingSchema(Schema):
    """A meeting as one of the pair logs it; its date is checked by :func:`meeting_errors`."""

    on = fields.Date(required=True, metadata={"description": "the day of the meeting, YYYY-MM-DD"})
    minutes = fields.Integer(required=True, strict=True,
                             validate=validate.Range(MIN_MEETING_MINUTES, MAX_MEETING_MINUTES))
    topic = fields.String(required=True, validate=[validate.Length(min=1, max=MAX_TOPIC_TEXT), _no_control])
    notes = fields.String(load_default=None, allow_none=True,
                          validate=[validate.Length(max=MAX_NOTES), _no_control],
                          metadata={"description": "seen only by the pair"})


def meeting_errors(meeting: Mapping[str, Any], mentorship: Mapping[str, Any], now: datetime) -> dict[str, list[str]]:
    """What is wrong with a meeting of the right shape: a date in the future or before the
    mentorship began (days in the university's calendar); ``{}`` means fine."""
    today = now.astimezone(LOCAL).date()
    began = mentorship["started_at"].astimezone(LOCAL).date()
    if meeting["on"] > today:
        return {"on": ["A meeting is logged once it has happened: not in the future."]}
    if meeting["on"] < began:
        return {"on": [f"The mentorship began on {began.isoformat()}."]}
    return {}


class FeedbackSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(*RATINGS))
    text = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=MAX_FEEDBACK), _no_control])


class EndSchema(Schema):
    """Ending a mentorship, with optional feedback that the other side never sees."""

    feedback = fields.Nested(FeedbackSchema, load_default=None, allow_none=True)


def side(mentorship: Mapping[str, Any], member_id: str) -> str:
    """``mentor`` or ``mentee``; Refused for anyone else."""
    for role in ("mentor", "mentee"):
        if mentorship[f"{role}_id"] == member_id:
            return role
    raise Refused(NOT_IN_PAIR, "Only the mentor and the mentee of this pair may do this.", mentorship["state"])


def _other(mentorship: Mapping[str, Any], member_id: str) -> str:
    return mentorship["mentee_id"] if side(mentorship, member_id) == "mentor" else mentorship["mentor_id"]


def log_meeting(mentorship: Mapping[str, Any], meeting: Mapping[str, Any], member_id: str,
                now: datetime) -> Transition:
    """One of the pair logs a meeting (loaded by MeetingSchema, checked by meeting_errors):
    the mentorship's count and last meeting move; ``meeting_logged`` (told to the other side;
    never with the notes, which stay with the pair)."""
    other = _other(mentorship, member_id)
    if mentorship["state"] != ACTIVE:
        raise Refused(NOT_ACTIVE, "The mentorship has ended.", mentorship["state"])
    last = mentorship.get("last_meeting_on")
    updated = {**mentorship, "meetings": mentorship.get("meetings", 0) + 1,
               "last_meeting_on": meeting["on"] if last is None else max(last, meeting["on"])}
    data = {"mentorship_id": mentorship["_id"], "mentor_id": mentorship["mentor_id"],
            "mentee_id": mentorship["mentee_id"], "logged_by": member_id, "on": meeting["on"],
            "minutes": meeting["minutes"]}
    return Transition(updated, (Emitted(MEETING_LOGGED_EVENT, data, (other,)),))


def _feedback(feedback: Mapping[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    return None if feedback is None else {"rating": feedback["rating"], "text": feedback.get("text"), "at": now}


def end(mentorship: Mapping[str, Any], member_id: str, now: datetime,
        feedback: Mapping[str, Any] | None = None) -> Transition:
    """Either side ends an active mentorship, optionally with feedback: ``ended`` (told to the
    other side; the data carries no feedback, so the other side never learns it). The mentor's
    place is free again."""
    other = _other(mentorship, member_id)
    if mentorship["state"] != ACTIVE:
        raise Refused(NOT_ACTIVE, "The mentorship has already ended.", mentorship["state"])
    given = dict(mentorship.get("feedback") or {})
    if feedback is not None:
        given[member_id] = _feedback(feedback, now)
    ended = {**mentorship, "state": ENDED, "ended_at": now, "ended_by": member_id, "feedback": given}
    data = {"mentorship_id": mentorship["_id"], "mentor_id": mentorship["mentor_id"],
            "mentee_id": mentorship["mentee_id"], "ended_by": member_id, "meetings": mentorship.get("meetings", 0),
            "started_at": mentorship["started_at"], "ended_at": now}
    return Transition(ended, (Emitted(ENDED_EVENT, data, (other,)),))


def give_feedback(mentorship: Mapping[str, Any], member_id: str, feedback: Mapping[str, Any],
                  now: datetime) -> dict[str, Any]:
    """The side that did not end it gives its feedback afterwards, once per side."""
    side(mentorship, member_id)
    if mentorship["state"] != ENDED:
        raise Refused(NOT_ENDED, "Feedback is given when the mentorship ends.", mentorship["state"])
    if member_id in (mentorship.get("feedback") or {}):
        raise Refused(ALREADY_GIVEN, "You have already given your feedback.", mentorship["state"])
    return {**mentorship, "feedback": {**(mentorship.get("feedback") or {}), member_id: _feedback(feedback, now)}}


def own_feedback(mentorship: Mapping[str, Any], member_id: str) -> dict[str, Any] | None:
    """The feedback ``member_id`` may see: their own, never the other side's."""
    side(mentorship, member_id)
    return (mentorship.get("feedback") or {}).get(member_id)


def is_stalled(mentorship: Mapping[str, Any], now: datetime, after: timedelta = STALLED_AFTER) -> bool:
    """An active pair with no meeting for ``after`` (60 days): counted from the last meeting,
    or from the start when there has been none."""
    if mentorship["state"] != ACTIVE:
        return False
    since = mentorship["started_at"].astimezone(LOCAL).date()
    if mentorship.get("last_meeting_on") is not None:
        since = max(since, mentorship["last_meeting_on"])
    return now.astimezone(LOCAL).date() - since >= timedelta(days=after.days)


# --- the office's figures -----------------------------------------------------------------------

def acceptance_rate(outcomes: Iterable[str]) -> float | None:
    """Accepted asks among those answered or expired (skipped and withdrawn ones were never
    the mentor's to answer); None when there are none."""
    counted = [o for o in outcomes if o in (ACCEPTED, DECLINED, EXPIRED)]
    return sum(o == ACCEPTED for o in counted) / len(counted) if counted else None


def reply_hours(answer: Mapping[str, Any]) -> float | None:
    """How long the mentor took to answer an ask, in hours; None when they did not answer."""
    if answer["outcome"] not in (ACCEPTED, DECLINED) or answer.get("asked_at") is None:
        return None
    return (answer["at"] - answer["asked_at"]).total_seconds() / 3600


def mentor_stats(answers: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per mentor, from the answers of requests (``{mentor_id, outcome, asked_at, at}``):
    counts by outcome, the acceptance rate and the median reply time in hours (of the asks the
    mentor answered; None when none). Both the score and the office's dashboard read these."""
    outcomes: dict[str, list[str]] = {}
    replies: dict[str, list[float]] = {}
    for answer in answers:
        outcomes.setdefault(answer["mentor_id"], []).append(answer["outcome"])
        hours = reply_hours(answer)
        if hours is not None:
            replies.setdefault(answer["mentor_id"], []).append(hours)
    stats = {}
    for mentor_id in sorted(outcomes):
        counts = {o: outcomes[mentor_id].count(o) for o in (ACCEPTED, DECLINED, EXPIRED)}
        stats[mentor_id] = counts | {
            "acceptance_rate": acceptance_rate(outcomes[mentor_id]),
            "median_reply_hours": statistics.median(replies[mentor_id]) if mentor_id in replies else None}
    return stats


def feedback_average(mentorships: Iterable[Mapping[str, Any]], role: str) -> float | None:
    """The mean rating that one side (``mentor`` or ``mentee``) gave over ended pairs; None
    when none was given."""
    ratings = [f["rating"] for m in mentorships if m["state"] == ENDED
               for member_id, f in (m.get("feedback") or {}).items() if member_id == m[f"{role}_id"] and f]
    return sum(ratings) / len(ratings) if ratings else None

