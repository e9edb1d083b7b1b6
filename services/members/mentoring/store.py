"""MongoDB access for mentoring: offers, requests, mentorships and meetings (the rules are
``rules.py``; this module stores what they decide, with the events they emit, in one
transaction each).

- ``mentor_offers`` ``{_id: mentor id, topics, specialties, specialty_keys, languages, formats,
  city, capacity, paused, graduation_year, active, pending, free, stats: {accepted, declined,
  expired}, replies: [hours, the last REPLIES], created_at, updated_at}``. ``free`` is kept
  equal to ``capacity - active - pending`` (negative when a mentor lowered the capacity below
  what they have) by every write that changes one of them, each a single-document ``$inc``.
- Places: asking a mentor takes a place with ``update_one({_id, paused: False, free: {$gt:
  0}}, {$inc: {free: -1, pending: 1}})`` inside the request's transaction. The condition and
  the change are one atomic document update, so of two mentees asking for the last place at
  the same instant exactly one matches; the other's update matches nothing and the cascade
  skips that mentor (or the request is refused when nobody else is left). Capacity is never
  exceeded because nothing else lowers ``free``.
- ``mentoring_requests``: the rules' request document, plus ``asked_mentor`` (the mentor whose
  answer it waits for, indexed for the mentor's list). Every change is a replace conditional
  on the state, index and ``asked_at`` read in the same transaction: a click and the expiry
  timer racing on one ask cannot both act (the loser finds the request changed and answers
  with what happened). The timer needs no lease: that conditional replace is its claim.
- ``mentorships`` and ``mentoring_meetings`` (``on`` and ``last_meeting_on`` stored as
  ``YYYY-MM-DD``: BSON has no date); meeting notes are read only through the pair's routes.
- Recommendations read offers only, by capped equality finds on indexes (``candidates``,
  ``rules.candidate_query``): at most ``CandidateQuery.most_documents`` documents in
  ``most_commands`` finds per request, whatever the number of mentors.
"""
from __future__ import annotations

import statistics
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.members import messages
from services.members.mentoring import rules
from services.members.profiles import store as profiles_store
from services.members.profiles.store import page_of
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc

OFFERS, REQUESTS, MENTORSHIPS, MEETINGS = "mentor_offers", "mentoring_requests", "mentorships", "mentoring_meetings"
# The reply times a mentor's score remembers: enough for a stable median, bounded per offer.
REPLIES = 20
# How many due requests one timer run expires before it lets the next run go on.
EXPIRY_BATCH = 100

# The candidates' finds (``candidates``) are equalities only, the value that tells offers
# apart first: the embedded store (SecantusDB) drives a find by the index of its first field's
# equality and scans for ``$in`` on a list or ``$nin``, and MongoDB reads equality fields then
# ``_id`` in order off these indexes. Named apart from the ``*_ranked`` indexes they replace.
INDEXES: list[Index] = [
    Index(OFFERS, asc("specialty_keys", "free", "paused", "_id"), name="offers_by_specialty_free"),
    Index(OFFERS, asc("languages", "free", "paused", "_id"), name="offers_by_language_free"),
    Index(OFFERS, asc("free", "paused", "_id"), name="offers_by_free"),
    Index(REQUESTS, asc("state", "deadline"), name="requests_due"),
    Index(REQUESTS, asc("mentee_id", "created_at"), name="requests_of_mentee"),
    Index(REQUESTS, asc("asked_mentor"), name="requests_asking"),
    Index(REQUESTS, asc("answers.mentor_id"), name="requests_answered_by"),
    Index(MENTORSHIPS, asc("mentor_id", "state"), name="mentorships_of_mentor"),
    Index(MENTORSHIPS, asc("mentee_id", "state"), name="mentorships_of_mentee"),
    Index(MEETINGS, asc("mentorship_id", "on"), name="meetings_of_pair"),
]

EVENT_TYPES = {rules.REQUESTED_EVENT: messages.MENTORSHIP_REQUESTED, rules.ACCEPTED_EVENT: messages.MENTORSHIP_ACCEPTED,
               rules.DECLINED_EVENT: messages.MENTORSHIP_DECLINED, rules.EXPIRED_EVENT: messages.MENTORSHIP_EXPIRED,
               rules.MEETING_LOGGED_EVENT: messages.MENTORSHIP_MEETING_LOGGED,
               rules.ENDED_EVENT: messages.MENTORSHIP_ENDED}


class NotFound(Exception):
    pass


class NoneAvailable(Exception):
    """None of the mentors a new request names can take a mentee now (paused, full, gone)."""


class Busy(Exception):
    """An offer cannot be withdrawn while mentees are waiting for or working with the mentor."""


class Changed(Exception):
    """The request changed between the read and the write (another click, the timer)."""


# --- events ----------------------------------------------------------------------------------

def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _parties(db: Database, session: ClientSession | None, *member_ids: str) -> list[dict]:
    """Each member's name and language as the events carry them, in order: one find for all."""
    found = {m["_id"]: m for m in db.members.find({"_id": {"$in": list(member_ids)}},
                                                  {"given_name": 1, "family_name": 1, "preferred_language": 1},
                                                  session=session)}
    return [{"member_id": member_id, **{k: found.get(member_id, {}).get(k)
                                        for k in ("given_name", "family_name", "preferred_language")}}
            for member_id in member_ids]


def _publish(db: Database, session: ClientSession, emitted: rules.Emitted, subject: str, **extra: Any) -> None:
    data = {**emitted.data, **extra}
    data = {k: _json_ready(v) for k, v in data.items()}
    data["mentor"], data["mentee"] = _parties(db, session, data["mentor_id"], data["mentee_id"])
    data["notify"] = list(emitted.notify)
    outbox.add(db, session, messages.CATALOG.create(EVENT_TYPES[emitted.type], subject, data,
                                                    current_correlation_id()))


# --- offers ----------------------------------------------------------------------------------

def offer_of(db: Database, member_id: str) -> dict | None:
    return db[OFFERS].find_one({"_id": member_id})


def save_offer(store, member: Mapping[str, Any], changes: Mapping[str, Any], now: datetime) -> dict:
    """Create or change the member's offer with ``changes`` (loaded by MentorOfferSchema);
    raises ValueError with the rules' errors of the merged offer. A capacity change moves
    ``free`` by the same amount in one update conditional on the capacity read, so it never
    loses a concurrent ask's ``$inc``. An offer not paused sets the profile's
    ``open_to_mentoring`` in the same transaction (:func:`_follow_offer`)."""
    db = store.db

    def work(session: ClientSession) -> dict:
        for _ in range(5):
            current = db[OFFERS].find_one({"_id": member["_id"]}, session=session)
            merged = {**(current or {}), **changes}
            errors = rules.offer_errors(merged)
            if errors:
                raise ValueError(errors)
            fields = {k: merged[k] for k in ("topics", "specialties", "languages", "formats", "city", "paused")
                      if k in merged}
            fields |= {"specialty_keys": rules.specialty_keys(merged),
                       "graduation_year": member.get("graduation_year"), "updated_at": now}
            capacity = merged.get("capacity", rules.DEFAULT_CAPACITY)
            if current is None:
                document = {"_id": member["_id"], **fields, "capacity": capacity, "active": 0, "pending": 0,
                            "free": capacity, "stats": {"accepted": 0, "declined": 0, "expired": 0},
                            "replies": [], "created_at": now}
                if db[OFFERS].update_one({"_id": member["_id"]}, {"$setOnInsert": document}, upsert=True,
                                         session=session).upserted_id:
                    return _follow_offer(db, session, member["_id"], document)
                continue   # made at the same moment by another request of theirs: change it instead
            moved = db[OFFERS].update_one({"_id": member["_id"], "capacity": current["capacity"]},
                                          {"$set": {**fields, "capacity": capacity},
                                           "$inc": {"free": capacity - current["capacity"]}}, session=session)
            if moved.matched_count:
                return _follow_offer(db, session, member["_id"],
                                     db[OFFERS].find_one({"_id": member["_id"]}, session=session))
        raise Changed(member["_id"])

    return store.transaction(work)


def _follow_offer(db: Database, session: ClientSession, member_id: str, offer: dict | None) -> dict | None:
    """The profile's ``open_to_mentoring`` follows the offer: true with an offer not paused,
    false once it is withdrawn (a paused offer leaves it as the member set it). Changed
    through the profile's own path, so ``members.member.updated`` is published and the
    directory and segments see it."""
    if offer is None:
        profiles_store.apply_changes(db, session, member_id, {"open_to_mentoring": False})
    elif not offer.get("paused"):
        profiles_store.apply_changes(db, session, member_id, {"open_to_mentoring": True})
    return offer


def delete_offer(store, member_id: str) -> bool:
    """Withdraw the offer (``False``: there was none); ``Busy`` while it has mentees. The
    profile's ``open_to_mentoring`` turns false in the same transaction."""
    db = store.db

    def work(session: ClientSession) -> bool:
        result = db[OFFERS].delete_one({"_id": member_id, "active": {"$lte": 0}, "pending": {"$lte": 0}},
                                       session=session)
        if result.deleted_count:
            _follow_offer(db, session, member_id, None)
            return True
        if db[OFFERS].find_one({"_id": member_id}, {"_id": 1}, session=session) is not None:
            raise Busy(member_id)
        return False

    return store.transaction(work)


def as_mentor(offer: Mapping[str, Any]) -> dict:
    """The offer as the score reads a mentor (``rules._factor_values``)."""
    replies = offer.get("replies") or []
    return {**offer, "id": offer["_id"],
            "stats": {**(offer.get("stats") or {}), "median_reply_hours": statistics.median(replies) if replies else None}}


def candidates(db: Database, query: rules.CandidateQuery) -> list[dict]:
    """The offers the rules' bounded query names (``rules.CandidateQuery``): per group, its
    first offers by free places (most first) then id, the excluded left out; at most
    ``query.most_documents`` documents in ``query.most_commands`` finds.

    One equality find per (value, free places), from ``MAX_CAPACITY`` down, each sorted by id
    and capped at what the group still needs plus the number excluded (filtered here, not by
    ``$nin``), until the group is full: never ``$in`` on a list, ``$nin`` or a sort on
    ``free``, which the embedded store answers by scanning and sorting every offer. The
    first ``need`` ids of the values' union are within each value's first ``need + excluded``,
    so the group is the same as one find over the union sorted by ``(-free, _id)``."""
    excluded = set(query.exclude)
    groups = query.groups()
    needs = [cap for _, _, cap in groups]
    found: list[list[dict]] = [[] for _ in groups]
    # The group of every offer goes first at each number of free places: when it finds none
    # there, no group can, and the others skip that number (no find per value for nothing).
    order = sorted(range(len(groups)), key=lambda g: groups[g][0] is not None)
    for free in range(rules.MAX_CAPACITY, 0, -1):
        for g in order:
            name, values, _ = groups[g]
            if needs[g] <= 0:
                continue
            limit = needs[g] + len(excluded)
            at_free: dict[str, dict] = {}
            for value in values:
                filter_ = {name: value, "free": free, "paused": False} if name else {"free": free, "paused": False}
                # One batch per find: one command each, however many documents it returns.
                for offer in db[OFFERS].find(filter_).sort("_id", ASCENDING).limit(limit).batch_size(limit):
                    at_free.setdefault(offer["_id"], offer)
            if name is None and not at_free:
                break
            taken = [at_free[k] for k in sorted(at_free) if k not in excluded][:needs[g]]
            found[g] += taken
            needs[g] -= len(taken)
    return [as_mentor(offer) for group in found for offer in group]


def _take_place(db: Database, session: ClientSession, mentor_id: str) -> bool:
    return db[OFFERS].update_one({"_id": mentor_id, "paused": False, "free": {"$gt": 0}},
                                 {"$inc": {"free": -1, "pending": 1}}, session=session).modified_count == 1


def _give_back(db: Database, session: ClientSession, mentor_id: str, outcome: str | None = None,
               reply_hours: float | None = None) -> None:
    """An ask ends without a mentorship: its place is free again, and the mentor's record
    counts the outcome (the score's acceptance and reply time)."""
    change: dict[str, Any] = {"$inc": {"free": 1, "pending": -1}}
    if outcome in (rules.DECLINED, rules.EXPIRED):
        change["$inc"][f"stats.{outcome}"] = 1
    if reply_hours is not None:
        change["$push"] = {"replies": {"$each": [reply_hours], "$slice": -REPLIES}}
    db[OFFERS].update_one({"_id": mentor_id}, change, session=session)


# --- requests --------------------------------------------------------------------------------

def _stored(request: Mapping[str, Any]) -> dict:
    return {**request, "asked_mentor": rules.asked_mentor(request)}


def _cascade(db: Database, session: ClientSession, transition: Callable[[set], rules.Transition]) -> rules.Transition:
    """The transition with the next ask's place taken: a choice whose place cannot be taken now
    (paused, full, no offer) is skipped, and the transition recomputed without it."""
    unavailable: set[str] = set()
    while True:
        done = transition(unavailable)
        asked = rules.asked_mentor(done.document)
        if asked is None or not any(e.type == rules.REQUESTED_EVENT for e in done.events):
            return done
        if _take_place(db, session, asked):
            return done
        unavailable.add(asked)


def _publish_all(db: Database, session: ClientSession, request: Mapping[str, Any], before: Mapping[str, Any] | None,
                 events: tuple[rules.Emitted, ...], now: datetime) -> None:
    for emitted in events:
        extra: dict[str, Any] = {}
        if emitted.type == rules.REQUESTED_EVENT:
            extra = {"requested_at": now}
        elif emitted.type == rules.ACCEPTED_EVENT:
            extra = {"asked_at": before["asked_at"], "accepted_at": now}
        elif emitted.type in (rules.DECLINED_EVENT, rules.EXPIRED_EVENT):
            extra = {"asked_at": before["asked_at"], "at": now}
        _publish(db, session, emitted, request["_id"], **extra)


def already_asked(db: Database, mentee_id: str) -> set[str]:
    """Mentors the mentee may not ask again now: those named by a request still waiting, and
    their mentors in active mentorships."""
    named = {m for r in db[REQUESTS].find({"mentee_id": mentee_id, "state": rules.PENDING}, {"choices": 1})
             for m in r["choices"]}
    return named | {m["mentor_id"] for m in db[MENTORSHIPS].find({"mentee_id": mentee_id, "state": rules.ACTIVE},
                                                                  {"mentor_id": 1})}


def create_request(store, mentee_id: str, choices: list[str], message: str, now: datetime,
                   deadline: timedelta) -> dict:
    """A new request with its first available choice asked and that mentor's place taken, in
    one transaction; ``NoneAvailable`` when no choice can be asked now (nothing is stored)."""
    request_id = uuid.uuid4().hex
    db = store.db

    def work(session: ClientSession) -> dict:
        done = _cascade(db, session, lambda unavailable: rules.start(
            request_id, mentee_id, choices, message, now, deadline=deadline, unavailable=unavailable))
        if done.document["state"] != rules.PENDING:
            raise NoneAvailable(request_id)
        stored = _stored(done.document)
        db[REQUESTS].insert_one(stored, session=session)
        _publish_all(db, session, done.document, None, done.events, now)
        return stored

    return store.transaction(work)


def get_request(db: Database, request_id: str, session: ClientSession | None = None) -> dict:
    request = db[REQUESTS].find_one({"_id": request_id}, session=session)
    if request is None:
        raise NotFound(request_id)
    return request


def _replace(db: Database, session: ClientSession, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    matched = db[REQUESTS].replace_one({"_id": before["_id"], "state": before["state"], "index": before["index"],
                                        "asked_at": before["asked_at"]}, _stored(after), session=session).matched_count
    if not matched:
        raise Changed(before["_id"])


def _changing(store, request_id: str, change: Callable[[ClientSession, dict], Any]) -> Any:
    """Run ``change(session, request)`` in a transaction on the request as it is now; when it
    changed meanwhile (Changed), read it again and retry: the rules then refuse or agree."""
    for _ in range(3):
        try:
            return store.transaction(lambda session: change(session, get_request(store.db, request_id, session)))
        except Changed:
            continue
    raise Changed(request_id)


def accept(store, request_id: str, mentor_id: str, now: datetime) -> tuple[dict, dict]:
    """The asked mentor accepts: the request is accepted, a mentorship starts, the pending
    place becomes an active one. Raises rules.Refused, NotFound."""
    db = store.db

    def change(session: ClientSession, request: dict) -> tuple[dict, dict]:
        mentorship_id = uuid.uuid4().hex
        done = rules.accept(request, mentor_id, now, mentorship_id)
        _replace(db, session, request, done.document)
        mentorship = {"_id": mentorship_id, "request_id": request_id, "mentor_id": mentor_id,
                      "mentee_id": request["mentee_id"], "state": rules.ACTIVE, "started_at": now, "ended_at": None,
                      "ended_by": None, "last_meeting_on": None, "meetings": 0, "feedback": {}}
        db[MENTORSHIPS].insert_one(mentorship, session=session)
        db[OFFERS].update_one({"_id": mentor_id}, {
            "$inc": {"pending": -1, "active": 1, "stats.accepted": 1},
            "$push": {"replies": {"$each": [rules.reply_hours(done.document["answers"][-1])], "$slice": -REPLIES}}},
            session=session)
        _publish_all(db, session, done.document, request, done.events, now)
        return done.document, mentorship

    return _changing(store, request_id, change)


def _moved_on(db: Database, session: ClientSession, request: dict, done: rules.Transition, now: datetime) -> dict:
    answer = next(a for a in reversed(done.document["answers"]) if a["outcome"] in (rules.DECLINED, rules.EXPIRED))
    _replace(db, session, request, done.document)
    _give_back(db, session, answer["mentor_id"], answer["outcome"], rules.reply_hours(answer))
    _publish_all(db, session, done.document, request, done.events, now)
    return _stored(done.document)


def decline(store, request_id: str, mentor_id: str, now: datetime, deadline: timedelta) -> dict:
    """The asked mentor declines: the place is given back and the next choice asked."""
    db = store.db

    def change(session: ClientSession, request: dict) -> dict:
        done = _cascade(db, session, lambda unavailable: rules.decline(
            request, mentor_id, now, deadline=deadline, unavailable=unavailable))
        return _moved_on(db, session, request, done, now)

    return _changing(store, request_id, change)


def withdraw(store, request_id: str, mentee_id: str, now: datetime) -> dict:
    db = store.db

    def change(session: ClientSession, request: dict) -> dict:
        asked = rules.asked_mentor(request)
        done = rules.withdraw(request, mentee_id, now)
        _replace(db, session, request, done.document)
        _give_back(db, session, asked)
        return done.document

    return _changing(store, request_id, change)


def expire_due(store, now: datetime, deadline: timedelta, limit: int = EXPIRY_BATCH) -> int:
    """Expire up to ``limit`` asks past their deadline, each in its own transaction, asking
    the next choice; return how many. Copies of the worker may run it side by side: the
    conditional replace lets one of them act on an ask, the other finds it changed."""
    db = store.db
    expired = 0
    due = db[REQUESTS].find({"state": rules.PENDING, "deadline": {"$lte": now}}, {"_id": 1}) \
        .sort("deadline", ASCENDING).limit(limit)
    for request_id in [r["_id"] for r in due]:
        def change(session: ClientSession, request: dict) -> dict:
            done = _cascade(db, session, lambda unavailable: rules.expire(
                request, now, deadline=deadline, unavailable=unavailable))
            return _moved_on(db, session, request, done, now)
        try:
            store.transaction(lambda session, change=change, request_id=request_id:
                              change(session, get_request(db, request_id, session)))
            expired += 1
        except (rules.Refused, Changed, NotFound):
            continue   # answered, withdrawn or expired by another copy meanwhile
    return expired


def member(db: Database, member_id: str) -> dict:
    """The member record the eligibility rules read (``{}``: no such member)."""
    return db.members.find_one({"_id": member_id}) or {}


def offered_of(db: Database, mentor_ids: list[str]) -> set[str]:
    """Which of these members have an offer (paused or full ones too)."""
    return {o["_id"] for o in db[OFFERS].find({"_id": {"$in": mentor_ids}}, {"_id": 1})}


def names_of(db: Database, member_ids) -> dict[str, dict]:
    """The names of these members (none for an erased one), as the lists show them."""
    found = db.members.find({"_id": {"$in": list(member_ids)}, "status": {"$ne": "erased"}},
                            {"given_name": 1, "family_name": 1})
    return {m["_id"]: {"given_name": m.get("given_name"), "family_name": m.get("family_name")} for m in found}


def requests_page(db: Database, mentee_id: str, page: int, per_page: int) -> tuple[list[dict], int]:
    return page_of(db[REQUESTS], {"mentee_id": mentee_id}, [("created_at", DESCENDING), ("_id", ASCENDING)],
                   page, per_page)


def asks_page(db: Database, mentor_id: str, page: int, per_page: int) -> tuple[list[dict], int]:
    """Requests that ask or asked this mentor (a skipped choice was never shown to them)."""
    query = {"$or": [{"asked_mentor": mentor_id},
                     {"answers": {"$elemMatch": {"mentor_id": mentor_id, "outcome": {"$ne": rules.SKIPPED}}}}]}
    return page_of(db[REQUESTS], query, [("created_at", DESCENDING), ("_id", ASCENDING)], page, per_page)


# --- mentorships -------------------------------------------------------------------------------

def _loaded(mentorship: dict) -> dict:
    last = mentorship.get("last_meeting_on")
    return {**mentorship, "last_meeting_on": date.fromisoformat(last) if isinstance(last, str) else last}


def get_mentorship(db: Database, mentorship_id: str, session: ClientSession | None = None) -> dict:
    mentorship = db[MENTORSHIPS].find_one({"_id": mentorship_id}, session=session)
    if mentorship is None:
        raise NotFound(mentorship_id)
    return _loaded(mentorship)


def mentorships_page(db: Database, member_id: str, page: int, per_page: int) -> tuple[list[dict], int]:
    items, total = page_of(db[MENTORSHIPS], {"$or": [{"mentor_id": member_id}, {"mentee_id": member_id}]},
                           [("started_at", DESCENDING), ("_id", ASCENDING)], page, per_page)
    return [_loaded(m) for m in items], total


def log_meeting(store, mentorship_id: str, member_id: str, meeting: Mapping[str, Any], now: datetime) -> dict:
    """Store a meeting (checked by the caller with rules.meeting_errors) and move the pair's
    count and last meeting, conditional on the pair being active."""
    db = store.db

    def work(session: ClientSession) -> dict:
        mentorship = get_mentorship(db, mentorship_id, session)
        done = rules.log_meeting(mentorship, meeting, member_id, now)
        stored = {"_id": uuid.uuid4().hex, "mentorship_id": mentorship_id, "on": meeting["on"].isoformat(),
                  "minutes": meeting["minutes"], "topic": meeting["topic"], "notes": meeting.get("notes"),
                  "by": member_id, "at": now}
        db[MEETINGS].insert_one(stored, session=session)
        # $max on the ISO text is $max on the date: YYYY-MM-DD sorts as it reads.
        moved = db[MENTORSHIPS].update_one({"_id": mentorship_id, "state": rules.ACTIVE}, {
            "$inc": {"meetings": 1}, "$max": {"last_meeting_on": meeting["on"].isoformat()}}, session=session)
        if not moved.matched_count:
            raise rules.Refused(rules.NOT_ACTIVE, "The mentorship has ended.", rules.ENDED)
        for emitted in done.events:
            _publish(db, session, emitted, mentorship_id, meeting_id=stored["_id"], logged_at=now)
        return stored

    return store.transaction(work)


def meetings_page(db: Database, mentorship_id: str, page: int, per_page: int) -> tuple[list[dict], int]:
    return page_of(db[MEETINGS], {"mentorship_id": mentorship_id}, [("on", DESCENDING), ("at", DESCENDING)],
                   page, per_page)


def _end(db: Database, session: ClientSession, mentorship: dict, member_id: str, now: datetime,
         feedback: Mapping[str, Any] | None, reason: str) -> dict:
    done = rules.end(mentorship, member_id, now, feedback)
    ended = done.document
    moved = db[MENTORSHIPS].update_one({"_id": mentorship["_id"], "state": rules.ACTIVE}, {"$set": {
        "state": ended["state"], "ended_at": now, "ended_by": member_id, "feedback": ended["feedback"]}},
        session=session)
    if not moved.matched_count:
        raise rules.Refused(rules.NOT_ACTIVE, "The mentorship has already ended.", rules.ENDED)
    db[OFFERS].update_one({"_id": mentorship["mentor_id"]}, {"$inc": {"active": -1, "free": 1}}, session=session)
    for emitted in done.events:
        _publish(db, session, emitted, mentorship["_id"], reason=reason)
    return ended


def end(store, mentorship_id: str, member_id: str, now: datetime, feedback: Mapping[str, Any] | None) -> dict:
    db = store.db
    return store.transaction(lambda session: _end(db, session, get_mentorship(db, mentorship_id, session),
                                                  member_id, now, feedback, "ended"))


def give_feedback(store, mentorship_id: str, member_id: str, feedback: Mapping[str, Any], now: datetime) -> dict:
    """The side that did not end it gives its feedback afterwards, once (conditional on none
    given yet by that side, so a double click stores one)."""
    db = store.db
    mentorship = get_mentorship(db, mentorship_id)
    given = rules.give_feedback(mentorship, member_id, feedback, now)
    moved = db[MENTORSHIPS].update_one(
        {"_id": mentorship_id, "state": rules.ENDED, f"feedback.{member_id}": {"$exists": False}},
        {"$set": {f"feedback.{member_id}": given["feedback"][member_id]}})
    if not moved.matched_count:
        raise rules.Refused(rules.ALREADY_GIVEN, "You have already given your feedback.", rules.ENDED)
    return given


# --- erasure -----------------------------------------------------------------------------------

def forget(db: Database, session: ClientSession, member_id: str, now: datetime) -> None:
    """Erasure (in ``privacy.store.erase``'s transaction): the member's active mentorships end
    (the other side is told), the notes and topics of every meeting of their pairs and their
    feedback are removed, so are the messages of requests they wrote or were named in (but for
    one now waiting for another mentor, who is yet to read it), their
    waiting requests are withdrawn, asks waiting for them move on to the next choice, and
    their offer is withdrawn."""
    for mentorship in db[MENTORSHIPS].find({"$or": [{"mentor_id": member_id}, {"mentee_id": member_id}],
                                            "state": rules.ACTIVE}, session=session):
        _end(db, session, _loaded(mentorship), member_id, now, None, "erased")
    pairs = [m["_id"] for m in db[MENTORSHIPS].find({"$or": [{"mentor_id": member_id}, {"mentee_id": member_id}]},
                                                    {"_id": 1}, session=session)]
    db[MEETINGS].update_many({"mentorship_id": {"$in": pairs}}, {"$set": {"notes": None, "topic": None}},
                             session=session)
    db[MENTORSHIPS].update_many({"_id": {"$in": pairs}}, {"$unset": {f"feedback.{member_id}": ""}}, session=session)
    for request in db[REQUESTS].find({"mentee_id": member_id, "state": rules.PENDING}, session=session):
        done = rules.withdraw(request, member_id, now)
        _replace(db, session, request, done.document)
        _give_back(db, session, rules.asked_mentor(request))
    for request in db[REQUESTS].find({"asked_mentor": member_id, "state": rules.PENDING}, session=session):
        # Their ask moves on as their answer would (an expiry when its time has passed).
        done = _cascade(db, session, lambda unavailable, request=request: rules.expire(
            request, now, unavailable=unavailable) if rules.is_due(request, now) else rules.decline(
            request, member_id, now, unavailable=unavailable))
        _replace(db, session, request, done.document)
        _publish_all(db, session, done.document, request, done.events, now)
    # A message is the mentee's, written to the mentors named: gone with either, except where
    # it still waits for the next mentor's answer (that mentor is yet to read it).
    db[REQUESTS].update_many({"$or": [{"mentee_id": member_id},
                                      {"choices": member_id, "state": {"$ne": rules.PENDING}}]},
                             {"$set": {"message": None}}, session=session)
    db[OFFERS].delete_one({"_id": member_id}, session=session)


# --- the office's dashboard ----------------------------------------------------------------------
# Whole-programme reads, each one query streamed from a cursor (never one per mentor): the
# offers, the answers (unwound in the store), the pairs without their notes or feedback texts,
# the oldest requests waiting, the mentees' profiles and everybody's names by ``$in``.

OPEN_SHOWN = 100   # the oldest requests waiting that the dashboard lists (it counts them all)


def dashboard_offers(db: Database) -> list[dict]:
    return list(db[OFFERS].find({}, {"specialties": 1, "languages": 1, "paused": 1, "capacity": 1, "active": 1,
                                     "pending": 1}))


def dashboard_answers(db: Database):
    """Every answer a mentor gave or let expire (``{mentor_id, outcome, asked_at, at}``)."""
    counted = [rules.ACCEPTED, rules.DECLINED, rules.EXPIRED]
    return db[REQUESTS].aggregate([
        {"$match": {"answers.outcome": {"$in": counted}}},
        {"$project": {"answers": 1}},
        {"$unwind": "$answers"},
        {"$match": {"answers.outcome": {"$in": counted}}},
        {"$project": {"_id": 0, "mentor_id": "$answers.mentor_id", "outcome": "$answers.outcome",
                      "asked_at": "$answers.asked_at", "at": "$answers.at"}}])


def dashboard_mentorships(db: Database) -> list[dict]:
    """Every pair, with the ratings of its feedback (no texts)."""
    found = db[MENTORSHIPS].find({}, {"mentor_id": 1, "mentee_id": 1, "state": 1, "started_at": 1,
                                      "last_meeting_on": 1, "meetings": 1, "feedback": 1})
    return [_loaded({**m, "feedback": {k: {"rating": f.get("rating")} for k, f in (m.get("feedback") or {}).items()
                                       if f}}) for m in found]


def open_requests(db: Database, limit: int = OPEN_SHOWN) -> tuple[list[dict], int, set[str]]:
    """The oldest ``limit`` requests waiting, how many wait, and every mentee waiting."""
    waiting = {"state": rules.PENDING}
    oldest = list(db[REQUESTS].find(waiting, {"message": 0}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
                  .limit(limit))
    return oldest, db[REQUESTS].count_documents(waiting), set(db[REQUESTS].distinct("mentee_id", waiting))


def profiles_of(db: Database, member_ids) -> list[dict]:
    """What the dashboard counts mentees by (erased members count nowhere)."""
    return list(db.members.find({"_id": {"$in": list(member_ids)}, "status": {"$ne": "erased"}},
                                {"specialty": 1, "languages": 1}))
