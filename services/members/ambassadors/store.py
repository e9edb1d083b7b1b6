"""MongoDB access for ambassadors (the rules are ``rules.py``; every write and the event it
causes go to the store in one transaction).

- ``ambassador_applications`` ``{_id, member_id, status, motivation, countries, cities,
  languages, faculty, created_at, decided_at, decided_by, reason, open_of}``. ``open_of`` is
  the member id while the application is pending (removed by the decision), under a unique
  sparse index: of two applications sent at once by one member, the second insert fails on
  the index, whatever the api process. No check-then-insert race is left to time.
- ``ambassadors`` ``{_id: member id, public_id (random, unique), regions, countries (derived,
  indexed for the finder), languages, term_starts, term_ends ("YYYY-MM-DD": BSON has no
  date, and the text sorts as the date), ended_at, listed, public_fields, bio, appointed_at,
  application_id}``.
- ``ambassador_questions`` ``{_id, member_id (the ambassador asked), asker: {name,
  email, language}, country, message, state, asked_at, confirm_until, erase_after,
  confirmed_at, contact_id, erased_at}``: the asker's data goes at ``erase_after`` (the timer).
- ``ambassador_question_counts`` ``{_id: hash of the address, times: [asked_at...],
  expires_at}``: the finder's rate limit per address. Taking a place is one conditional
  ``$push`` (``times.<limit-1>`` must not exist once the old times are pulled), an upsert for
  a new address: several api processes count together, and a lost race is a refusal.
- ``ambassador_contacts`` ``{_id, member_id, source, question_id, kind, name, email,
  language, country, message, assigned_at, assigned_by, due_at, state, replied_at, via,
  reply_seconds, within_target, replies: [...], nudged_at, escalated_at}``. The overdue stages
  are claimed by ``update_one`` conditional on the stage's field still null, inside the
  transaction that publishes it: of two timers, one matches and publishes; the other's
  transaction meets the write conflict, is retried, matches nothing and publishes nothing.
  The first reply is claimed the same way (``replied_at`` null).
- ``ambassador_activities`` ``{_id, member_id, kind, on, place, people_reached, note,
  logged_at, logged_by}``.
"""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.members import messages
from services.members.ambassadors import rules
from services.members.profiles.store import page_of
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc

APPLICATIONS, AMBASSADORS = "ambassador_applications", "ambassadors"
QUESTIONS, QUESTION_COUNTS = "ambassador_questions", "ambassador_question_counts"
CONTACTS, ACTIVITIES = "ambassador_contacts", "ambassador_activities"
# How many due contacts or questions one timer run handles before the next run goes on.
BATCH = 100

INDEXES: list[Index] = [
    Index(APPLICATIONS, asc("open_of"), unique=True, name="applications_open_one",
          options={"sparse": True}),
    Index(APPLICATIONS, asc("member_id", "created_at"), name="applications_of_member"),
    Index(APPLICATIONS, asc("status", "created_at"), name="applications_by_status"),
    Index(AMBASSADORS, asc("public_id"), unique=True, name="ambassadors_public_id"),
    Index(AMBASSADORS, asc("countries", "listed", "public_id"), name="ambassadors_finder_country"),
    Index(AMBASSADORS, asc("languages", "listed", "public_id"), name="ambassadors_finder_language"),
    Index(QUESTIONS, asc("state", "erase_after"), name="questions_retention"),
    Index(QUESTIONS, asc("state", "confirm_until"), name="questions_unconfirmed"),
    Index(QUESTION_COUNTS, [("expires_at", ASCENDING)], name="question_counts_ttl",
          options={"expireAfterSeconds": 0}),
    Index(CONTACTS, asc("member_id", "state", "due_at"), name="contacts_of_ambassador"),
    Index(CONTACTS, asc("state", "nudged_at", "due_at"), name="contacts_overdue"),
    Index(CONTACTS, asc("question_id"), name="contacts_of_question", options={"sparse": True}),
    Index(CONTACTS, asc("assigned_at"), name="contacts_by_time"),
    Index(ACTIVITIES, asc("member_id", "on"), name="activities_of_ambassador"),
    Index(ACTIVITIES, asc("on"), name="activities_by_day"),
]


class NotFound(Exception):
    pass


class OpenApplication(Exception):
    """The member has an application waiting for the office."""


class AlreadyAmbassador(Exception):
    """The member is an active ambassador."""


class Decided(Exception):
    """The application was decided already (``args[0]``: its status)."""


class Gone(Exception):
    """The question's asker data was erased (retention)."""


# --- events ----------------------------------------------------------------------------------

def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def party(db: Database, session: ClientSession | None, member_id: str) -> dict:
    """The member as events name them (names and language null once erased)."""
    found = db.members.find_one({"_id": member_id, "status": {"$ne": "erased"}},
                                {"given_name": 1, "family_name": 1, "preferred_language": 1}, session=session) or {}
    return {"member_id": member_id, "given_name": found.get("given_name"), "family_name": found.get("family_name"),
            "preferred_language": found.get("preferred_language")}


def _publish(db: Database, session: ClientSession, event_type: str, subject: str, data: Mapping[str, Any]) -> None:
    outbox.add(db, session, messages.CATALOG.create(event_type, subject, _json_ready(dict(data)),
                                                    current_correlation_id()))


def _stored_day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else value


# --- applications and appointments -----------------------------------------------------------

def ambassador_of(db: Database, member_id: str, session: ClientSession | None = None) -> dict | None:
    return db[AMBASSADORS].find_one({"_id": member_id}, session=session)


def latest_application(db: Database, member_id: str) -> dict | None:
    """The member's waiting application, else their latest decided one (the waiting one is the
    newest; asking for it first needs no tie-break between applications made in one instant)."""
    waiting = db[APPLICATIONS].find_one({"open_of": member_id})
    if waiting is not None:
        return waiting
    return next(iter(db[APPLICATIONS].find({"member_id": member_id}).sort([("created_at", DESCENDING),
                                                                          ("decided_at", DESCENDING)]).limit(1)), None)


def apply(store, member: Mapping[str, Any], body: Mapping[str, Any], now: datetime) -> dict:
    """A new pending application; ``OpenApplication`` when one waits, ``AlreadyAmbassador``
    while the member is an active ambassador."""
    db = store.db
    application = {"_id": uuid.uuid4().hex, "member_id": member["_id"], "status": rules.PENDING,
                   "motivation": body["motivation"], "countries": body["countries"], "cities": body["cities"],
                   "languages": body["languages"], "faculty": body.get("faculty"), "created_at": now,
                   "decided_at": None, "decided_by": None, "reason": None, "open_of": member["_id"]}

    def work(session: ClientSession) -> dict:
        current = ambassador_of(db, member["_id"], session)
        if current is not None and rules.is_active(current, now):
            raise AlreadyAmbassador(member["_id"])
        db[APPLICATIONS].insert_one(application, session=session)
        _publish(db, session, messages.AMBASSADOR_APPLIED, application["_id"], {
            "application_id": application["_id"], "member_id": member["_id"],
            "member": party(db, session, member["_id"]), "countries": application["countries"],
            "languages": application["languages"], "applied_at": now})
        return application

    try:
        return store.transaction(work)
    except DuplicateKeyError:
        raise OpenApplication(member["_id"]) from None


def applications_page(db: Database, status: str | None, page: int, per_page: int) -> tuple[list[dict], int]:
    query = {} if status is None else {"status": status}
    return page_of(db[APPLICATIONS], query, [("created_at", ASCENDING), ("_id", ASCENDING)], page, per_page)


def get_application(db: Database, application_id: str, session: ClientSession | None = None) -> dict:
    found = db[APPLICATIONS].find_one({"_id": application_id}, session=session)
    if found is None:
        raise NotFound(application_id)
    return found


def _decide(db: Database, session: ClientSession, application_id: str, status: str, now: datetime, by: str,
            reason: str | None = None) -> dict:
    """The pending application takes its decision, conditional on still pending."""
    application = get_application(db, application_id, session)
    moved = db[APPLICATIONS].update_one({"_id": application_id, "status": rules.PENDING}, {
        "$set": {"status": status, "decided_at": now, "decided_by": by, "reason": reason},
        "$unset": {"open_of": ""}}, session=session)
    if not moved.matched_count:
        raise Decided(application["status"])
    return {**application, "status": status, "decided_at": now, "decided_by": by, "reason": reason}


def appoint(store, application_id: str, terms: Mapping[str, Any], now: datetime, by: str) -> dict:
    """The member becomes an ambassador (again, keeping their listing and ``public_id``, when
    they were one before); ``terms`` are complete (the caller applied the defaults)."""
    db = store.db

    def work(session: ClientSession) -> dict:
        application = _decide(db, session, application_id, rules.APPOINTED, now, by)
        member_id = application["member_id"]
        fields = {"regions": terms["regions"], "countries": rules.countries_of(terms["regions"]),
                  "languages": terms["languages"], "term_starts": _stored_day(terms["term_starts"]),
                  "term_ends": _stored_day(terms["term_ends"]), "ended_at": None, "appointed_at": now,
                  "application_id": application_id}
        db[AMBASSADORS].update_one({"_id": member_id}, {"$set": fields, "$setOnInsert": {
            "public_id": secrets.token_urlsafe(12), "listed": False,
            "public_fields": list(rules.DEFAULT_PUBLIC_FIELDS), "bio": None}}, upsert=True, session=session)
        ambassador = ambassador_of(db, member_id, session)
        _publish(db, session, messages.AMBASSADOR_APPOINTED, member_id, {
            "member_id": member_id, "member": party(db, session, member_id), "public_id": ambassador["public_id"],
            "regions": ambassador["regions"], "languages": ambassador["languages"],
            "term_starts": ambassador["term_starts"], "term_ends": ambassador["term_ends"], "appointed_at": now,
            "application_id": application_id})
        return ambassador

    return store.transaction(work)


def decline(store, application_id: str, reason: str, now: datetime, by: str) -> dict:
    db = store.db

    def work(session: ClientSession) -> dict:
        application = _decide(db, session, application_id, rules.DECLINED, now, by, reason)
        _publish(db, session, messages.AMBASSADOR_DECLINED, application_id, {
            "application_id": application_id, "member_id": application["member_id"],
            "member": party(db, session, application["member_id"]), "reason": reason, "declined_at": now})
        return application

    return store.transaction(work)


def update_listing(db: Database, member_id: str, changes: Mapping[str, Any]) -> dict:
    """The ambassador's own listing choices (``listed``, ``public_fields``, ``bio``)."""
    if changes:
        db[AMBASSADORS].update_one({"_id": member_id}, {"$set": dict(changes)})
    found = ambassador_of(db, member_id)
    if found is None:
        raise NotFound(member_id)
    return found


def change_term(db: Database, member_id: str, changes: Mapping[str, Any]) -> dict:
    """The office changes regions, languages or the term (checked by the caller on the
    merged record)."""
    fields = {k: _stored_day(v) if k.startswith("term_") else v for k, v in changes.items()}
    if "regions" in fields:
        fields["countries"] = rules.countries_of(fields["regions"])
    if fields and not db[AMBASSADORS].update_one({"_id": member_id}, {"$set": fields}).matched_count:
        raise NotFound(member_id)
    return ambassador_of(db, member_id)


def end(db: Database, member_id: str, now: datetime) -> dict:
    """The office ends the term today: out of the finder at once, open contacts stay theirs."""
    day = rules.today(now).isoformat()
    found = ambassador_of(db, member_id)
    if found is None:
        raise NotFound(member_id)
    db[AMBASSADORS].update_one({"_id": member_id, "ended_at": None},
                               {"$set": {"ended_at": now, "term_ends": min(found["term_ends"], day)}})
    return ambassador_of(db, member_id)


def roster_page(db: Database, country: str | None, active: bool | None, now: datetime, page: int,
                per_page: int) -> tuple[list[dict], int]:
    query: dict[str, Any] = {} if country is None else {"countries": country}
    day = rules.today(now).isoformat()
    current = {"ended_at": None, "term_starts": {"$lte": day}, "term_ends": {"$gte": day}}
    if active is True:
        query |= current
    elif active is False:
        query["$or"] = [{"ended_at": {"$ne": None}}, {"term_starts": {"$gt": day}}, {"term_ends": {"$lt": day}}]
    return page_of(db[AMBASSADORS], query, [("_id", ASCENDING)], page, per_page)


def profiles_of(db: Database, member_ids) -> dict[str, dict]:
    """The profile fields the finder and the roster may show, of members not erased."""
    shown = {name: 1 for name in (*rules.PROFILE_PUBLIC, "languages")}
    return {m["_id"]: m for m in db.members.find({"_id": {"$in": list(member_ids)}, "status": {"$ne": "erased"}},
                                                 shown)}


# --- the public finder and its questions -------------------------------------------------------

def finder_page(db: Database, country: str | None, language: str | None, now: datetime, page: int,
                per_page: int) -> tuple[list[dict], int]:
    """Listed ambassadors in their term, of the country and the language when given."""
    day = rules.today(now).isoformat()
    query: dict[str, Any] = {"listed": True, "ended_at": None, "term_starts": {"$lte": day},
                             "term_ends": {"$gte": day}}
    if country is not None:
        query["countries"] = country
    if language is not None:
        query["languages"] = language
    return page_of(db[AMBASSADORS], query, [("public_id", ASCENDING)], page, per_page)


def listed(db: Database, public_id: str, now: datetime) -> dict | None:
    """The listed ambassador in their term with this ``public_id``, or None."""
    found = db[AMBASSADORS].find_one({"public_id": public_id, "listed": True})
    return found if found is not None and rules.is_active(found, now) else None


def take_question_place(db: Database, key: str, now: datetime) -> float | None:
    """Count a question of the address ``key`` (``rules.email_key``); when it has asked
    ``QUESTION_LIMIT`` in the last ``QUESTION_WINDOW`` already, count nothing and return the
    seconds until its oldest question leaves the window."""
    since = now - rules.QUESTION_WINDOW
    db[QUESTION_COUNTS].update_one({"_id": key}, {"$pull": {"times": {"$lte": since}}})
    try:
        db[QUESTION_COUNTS].update_one(
            {"_id": key, f"times.{rules.QUESTION_LIMIT - 1}": {"$exists": False}},
            {"$push": {"times": now}, "$set": {"expires_at": now + rules.QUESTION_WINDOW}}, upsert=True)
    except DuplicateKeyError:   # the address has its limit: the filter missed, the upsert collided
        times = (db[QUESTION_COUNTS].find_one({"_id": key}) or {}).get("times") or [now]
        return max(0.0, (min(times) + rules.QUESTION_WINDOW - now).total_seconds())
    return None


def ask(store, ambassador: Mapping[str, Any], question: Mapping[str, Any], now: datetime,
        retention: timedelta) -> dict:
    """Store the question waiting for the asker's confirmation and ask notifications to send
    them the link."""
    db = store.db
    stored = {"_id": uuid.uuid4().hex, "member_id": ambassador["_id"],
              "asker": {"name": question["name"], "email": question["email"], "language": question["language"]},
              "country": question["country"], "message": question["message"], "state": rules.PENDING_CONFIRMATION,
              "asked_at": now, "confirm_until": now + rules.CONFIRM_WITHIN, "erase_after": now + retention,
              "confirmed_at": None, "contact_id": None, "erased_at": None}

    def work(session: ClientSession) -> dict:
        db[QUESTIONS].insert_one(stored, session=session)
        _publish(db, session, messages.AMBASSADOR_QUESTION_ASKED, stored["_id"], {
            "question_id": stored["_id"], "asker": stored["asker"], "country": stored["country"],
            "confirm_until": stored["confirm_until"], "asked_at": now})
        return stored

    return store.transaction(work)


def get_question(db: Database, question_id: str, session: ClientSession | None = None) -> dict:
    found = db[QUESTIONS].find_one({"_id": question_id}, session=session)
    if found is None:
        raise NotFound(question_id)
    return found


def _new_contact(member_id: str, source: str, fields: Mapping[str, Any], now: datetime, target: timedelta) -> dict:
    return {"_id": uuid.uuid4().hex, "member_id": member_id, "source": source, "question_id": None,
            "assigned_by": None, **fields, "assigned_at": now, "due_at": rules.due_at(now, target),
            "state": rules.OPEN, "replied_at": None, "via": None, "reply_seconds": None, "within_target": None,
            "replies": [], "nudged_at": None, "escalated_at": None}


def _assigned(db: Database, session: ClientSession, contact: dict) -> None:
    db[CONTACTS].insert_one(contact, session=session)
    _publish(db, session, messages.AMBASSADOR_CONTACT_ASSIGNED, contact["_id"], {
        "contact_id": contact["_id"], "question_id": contact.get("question_id"), "member_id": contact["member_id"],
        "ambassador": party(db, session, contact["member_id"]),
        "contact": {k: contact[k] for k in ("name", "kind", "country", "language")},
        "source": contact["source"], "message": contact["message"], "due_at": contact["due_at"],
        "assigned_at": contact["assigned_at"]})


def confirm(store, question_id: str, now: datetime, target: timedelta) -> dict:
    """The asker confirmed their address: the question becomes a contact of its ambassador
    (once: a second confirmation finds it confirmed and changes nothing). ``Gone`` when its
    asker data was erased; the caller checks the link's deadline."""
    db = store.db

    def work(session: ClientSession) -> dict:
        question = get_question(db, question_id, session)
        if question["state"] == rules.ERASED:
            raise Gone(question_id)
        if question["state"] == rules.CONFIRMED:
            return question
        contact = None
        if ambassador_of(db, question["member_id"], session) is not None:
            contact = _new_contact(question["member_id"], rules.FINDER, {
                "question_id": question_id, "kind": rules.FINDER_QUESTION, "name": question["asker"]["name"],
                "email": question["asker"]["email"], "language": question["asker"]["language"],
                "country": question["country"], "message": question["message"]}, now, target)
        changes = {"state": rules.CONFIRMED, "confirmed_at": now, "contact_id": contact and contact["_id"]}
        if not db[QUESTIONS].update_one({"_id": question_id, "state": rules.PENDING_CONFIRMATION}, {"$set": changes},
                                        session=session).matched_count:
            raise NotFound(question_id)   # pragma: no cover - read in this transaction
        if contact is not None:
            _assigned(db, session, contact)
        return {**question, **changes}

    return store.transaction(work)


# --- contacts ----------------------------------------------------------------------------------

def assign(store, member_id: str, body: Mapping[str, Any], now: datetime, target: timedelta, by: str) -> dict:
    """The office assigns a contact to the ambassador."""
    db = store.db
    contact = _new_contact(member_id, rules.OFFICE, {
        "kind": body["kind"], "name": body["name"], "email": body.get("email"), "language": body["language"],
        "country": body["country"], "message": body["note"], "assigned_by": by}, now, target)

    def work(session: ClientSession) -> dict:
        _assigned(db, session, contact)
        return contact

    return store.transaction(work)


def contacts_page(db: Database, member_id: str, state: str | None, page: int, per_page: int) -> tuple[list[dict], int]:
    query: dict[str, Any] = {"member_id": member_id}
    if state is not None:
        query["state"] = state
    return page_of(db[CONTACTS], query, [("due_at", ASCENDING), ("_id", ASCENDING)], page, per_page)


def get_contact(db: Database, member_id: str, contact_id: str, session: ClientSession | None = None) -> dict:
    found = db[CONTACTS].find_one({"_id": contact_id, "member_id": member_id}, session=session)
    if found is None:
        raise NotFound(contact_id)
    return found


def answer(store, member_id: str, contact_id: str, reply: Mapping[str, Any], now: datetime) -> tuple[dict, bool]:
    """The ambassador replied (``reply["via"]``: ``reply`` with ``message``, or ``logged`` with
    ``channel``, ``on`` and ``note``); return the contact and whether this was its first reply
    (the one that counts, claimed conditionally on ``replied_at`` still null)."""
    db = store.db
    entry = {"via": reply["via"], "message": reply.get("message"), "channel": reply.get("channel"),
             "on": _stored_day(reply["on"]) if reply.get("on") else None, "note": reply.get("note"), "at": now}

    def work(session: ClientSession) -> tuple[dict, bool]:
        contact = get_contact(db, member_id, contact_id, session)
        seconds, within = rules.reply_seconds(contact, now), rules.within_target(contact, now)
        first = db[CONTACTS].update_one({"_id": contact_id, "replied_at": None, "state": rules.OPEN}, {
            "$set": {"replied_at": now, "state": rules.REPLIED, "via": reply["via"], "reply_seconds": seconds,
                     "within_target": within}, "$push": {"replies": entry}}, session=session).matched_count == 1
        if not first:
            db[CONTACTS].update_one({"_id": contact_id}, {"$push": {"replies": entry}}, session=session)
            seconds, within = contact["reply_seconds"] or seconds, bool(contact["within_target"])
        sending = reply["via"] == rules.VIA_REPLY and contact.get("email")
        _publish(db, session, messages.AMBASSADOR_CONTACT_REPLIED, contact_id, {
            "contact_id": contact_id, "question_id": contact.get("question_id"), "member_id": member_id,
            "ambassador": party(db, session, member_id), "via": reply["via"], "first": first,
            "message": reply.get("message"),
            "recipient": {"name": contact["name"], "email": contact["email"], "language": contact["language"]}
            if sending else None, "within_target": within, "reply_seconds": seconds, "replied_at": now})
        return get_contact(db, member_id, contact_id, session), first

    return store.transaction(work)


# --- activities --------------------------------------------------------------------------------

def log_activity(store, member_id: str, body: Mapping[str, Any], now: datetime, by: str) -> dict:
    db = store.db
    activity = {"_id": uuid.uuid4().hex, "member_id": member_id, "kind": body["kind"], "on": body["on"].isoformat(),
                "place": dict(body["place"]), "people_reached": body["people_reached"], "note": body.get("note"),
                "logged_at": now, "logged_by": by}

    def work(session: ClientSession) -> dict:
        db[ACTIVITIES].insert_one(activity, session=session)
        _publish(db, session, messages.AMBASSADOR_ACTIVITY_LOGGED, activity["_id"], {
            "activity_id": activity["_id"], "member_id": member_id, "kind": activity["kind"], "on": activity["on"],
            "place": {"name": activity["place"]["name"], "city": activity["place"].get("city"),
                      "country": activity["place"]["country"]},
            "people_reached": activity["people_reached"], "logged_at": now})
        return activity

    return store.transaction(work)


def activities_page(db: Database, member_id: str, page: int, per_page: int) -> tuple[list[dict], int]:
    return page_of(db[ACTIVITIES], {"member_id": member_id}, [("on", DESCENDING), ("logged_at", DESCENDING)],
                   page, per_page)


# --- the timer: overdue stages and the askers' retention --------------------------------------

def _claim_stage(store, contact_id: str, claim: dict, field: str, stage: str, now: datetime) -> bool:
    """Set the stage's ``field`` where ``claim`` still holds, and publish the stage, in one
    transaction; False when another timer (or a reply) got there first."""
    db = store.db

    def work(session: ClientSession) -> bool:
        if not db[CONTACTS].update_one({"_id": contact_id, **claim}, {"$set": {field: now}},
                                       session=session).matched_count:
            return False
        contact = db[CONTACTS].find_one({"_id": contact_id}, session=session)
        _publish(db, session, messages.AMBASSADOR_REPLY_OVERDUE, contact_id, {
            "contact_id": contact_id, "question_id": contact.get("question_id"),
            "member_id": contact["member_id"], "ambassador": party(db, session, contact["member_id"]),
            "contact": {"name": contact["name"], "kind": contact["kind"], "country": contact["country"]},
            "stage": stage, "due_at": contact["due_at"], "overdue_at": now})
        return True

    return store.transaction(work)


def overdue_due(store, now: datetime, escalate_after: timedelta, limit: int = BATCH) -> int:
    """Nudge the ambassadors of contacts past due (once each), then tell the office of those
    nudged ``escalate_after`` ago and still open (once each); return how many stages were
    published by this call."""
    db = store.db
    published = 0
    nudges = db[CONTACTS].find({"state": rules.OPEN, "nudged_at": None, "due_at": {"$lte": now}}, {"_id": 1}) \
        .sort("due_at", ASCENDING).limit(limit)
    for contact_id in [c["_id"] for c in nudges]:
        published += _claim_stage(store, contact_id, {"state": rules.OPEN, "nudged_at": None},
                                  "nudged_at", rules.STAGE_AMBASSADOR, now)
    escalations = db[CONTACTS].find({"state": rules.OPEN, "nudged_at": {"$lte": now - escalate_after},
                                     "escalated_at": None}, {"_id": 1}).sort("nudged_at", ASCENDING).limit(limit)
    for contact_id in [c["_id"] for c in escalations]:
        published += _claim_stage(store, contact_id, {"state": rules.OPEN, "escalated_at": None,
                                                      "nudged_at": {"$lte": now - escalate_after}},
                                  "escalated_at", rules.STAGE_OFFICE, now)
    return published


def _erase_asker(db: Database, session: ClientSession, question_id: str, now: datetime) -> bool:
    """The asker's name, address and message go from the question and its contact (with the
    replies written to them); counts and times stay for the report."""
    if not db[QUESTIONS].update_one({"_id": question_id, "state": {"$ne": rules.ERASED}}, {"$set": {
            "state": rules.ERASED, "asker": None, "message": None, "erased_at": now}}, session=session).matched_count:
        return False
    db[CONTACTS].update_many({"question_id": question_id}, {"$set": {
        "name": None, "email": None, "message": None, "replies.$[].message": None, "replies.$[].note": None}},
        session=session)
    _publish(db, session, messages.AMBASSADOR_ASKER_ERASED, question_id,
             {"question_id": question_id, "erased_at": now})
    return True


def erase_askers_due(store, now: datetime, limit: int = BATCH) -> int:
    """Erase the askers past their retention, or never confirmed and 30 days past the
    deadline; return how many."""
    db = store.db
    due = db[QUESTIONS].find({"$or": [
        {"state": {"$in": [rules.PENDING_CONFIRMATION, rules.CONFIRMED]}, "erase_after": {"$lte": now}},
        {"state": rules.PENDING_CONFIRMATION, "confirm_until": {"$lte": now - rules.UNCONFIRMED_KEPT}}]},
        {"_id": 1}).limit(limit)
    erased = 0
    for question_id in [q["_id"] for q in due]:
        erased += store.transaction(lambda session, question_id=question_id:
                                    _erase_asker(db, session, question_id, now))
    return erased


# --- the report ------------------------------------------------------------------------------

def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), rules.LOCAL)


def report_inputs(db: Database, starts: date, ends: date) -> tuple[list[dict], dict, list[dict], list[dict]]:
    """Ambassadors, their names, the contacts assigned and the activities of the period
    (days in the university's calendar, both ends included): one query each."""
    ambassadors = list(db[AMBASSADORS].find({}, {"regions": 1}))
    contacts = list(db[CONTACTS].find(
        {"assigned_at": {"$gte": _local_midnight(starts), "$lt": _local_midnight(ends + timedelta(days=1))}},
        {"member_id": 1, "country": 1, "replied_at": 1, "reply_seconds": 1, "within_target": 1}))
    activities = list(db[ACTIVITIES].find({"on": {"$gte": starts.isoformat(), "$lte": ends.isoformat()}},
                                          {"member_id": 1, "kind": 1, "people_reached": 1, "place.country": 1}))
    ids = {a["_id"] for a in ambassadors} | {c["member_id"] for c in contacts} | {a["member_id"] for a in activities}
    names = {m["_id"]: " ".join(filter(None, (m.get("given_name"), m.get("family_name")))) or None
             for m in db.members.find({"_id": {"$in": list(ids)}, "status": {"$ne": "erased"}},
                                      {"given_name": 1, "family_name": 1})}
    return ambassadors, names, contacts, activities


# --- erasure and export --------------------------------------------------------------------------

def forget(db: Database, session: ClientSession, member_id: str, now: datetime) -> None:
    """Erasure (in ``privacy.store.erase``'s transaction): the member's applications and
    ambassador record go (out of the finder at once); their contacts and activities stay only
    as counts for the report (no name, address, question, reply or note left; open ones
    closed, so nobody is nudged); the askers of questions to them are erased as the timer
    would (their questions can no longer be answered)."""
    db[APPLICATIONS].delete_many({"member_id": member_id}, session=session)
    db[AMBASSADORS].delete_one({"_id": member_id}, session=session)
    for question in db[QUESTIONS].find({"member_id": member_id, "state": {"$ne": rules.ERASED}}, {"_id": 1},
                                       session=session):
        _erase_asker(db, session, question["_id"], now)
    db[CONTACTS].update_many({"member_id": member_id, "state": rules.OPEN}, {"$set": {"state": rules.CLOSED}},
                             session=session)
    db[CONTACTS].update_many({"member_id": member_id}, {"$set": {
        "name": None, "email": None, "message": None, "replies": []}}, session=session)
    db[ACTIVITIES].update_many({"member_id": member_id}, {"$set": {"note": None}}, session=session)


def of_member(db: Database, member_id: str) -> dict:
    """The member's ambassador data for their export: applications, the ambassador record,
    their contacts (without the contacts' addresses, which they never see) and activities."""
    return {
        "applications": list(db[APPLICATIONS].find({"member_id": member_id}, {"open_of": 0}).sort("created_at", 1)),
        "ambassador": ambassador_of(db, member_id),
        "contacts": list(db[CONTACTS].find({"member_id": member_id}, {"email": 0}).sort("assigned_at", 1)),
        "activities": list(db[ACTIVITIES].find({"member_id": member_id}).sort("on", 1)),
    }
