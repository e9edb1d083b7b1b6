"""MongoDB access for causes: create, edit, publish, close, join, leave, promote, confirm
hours, set a campaign's progress, list, and forget an erased member (rules: ``rules.py``).

Collections of the ``alumnet_events`` database:

- ``causes``: ``{_id, kind, title {bg,en}, description {bg,en}, audience (as an event's),
  deadline, owner_id, status: draft|published|closed, roles: [{role_id, title, what_to_bring,
  slots, when, place}], counts: {role_id: {filled, waiting, seq}}, goal: {target, unit,
  current} | None, donation_url, hours_total, created_by, created_at, updated_at,
  published_at, closed_at}``
- ``cause_volunteers``: one per request, ``_id`` the volunteer id (random: it names nobody)::

      {_id, cause_id, role_id, member_id (None once erased), amount (slots taken: 1, or the
       quantity pledged), quantity (collections), note, status: joined|waitlisted|left,
       position (FIFO order of the role's waitlist), requested_at, joined_at, promoted_at,
       left_at, left_reason, hours_total, anonymised_at}

- ``cause_hours``: one per volunteer and day, ``_id`` ``"<volunteer_id>:<day>"``::

      {_id, volunteer_id, cause_id, role_id, member_id (None once erased), hours, on (ISO day),
       note (None once erased), confirmed_by, confirmed_at}

Slots are never exceeded, however many members join at once: every change of a role's
counters is a conditional update of the cause document (the counters as they were read)
inside the transaction that writes the volunteer and its message, as ``registrations_store``
does for seats. Two transactions that touch one cause conflict and the store runs one again on
fresh data; a conditional update that finds the counters changed raises the same transient
error itself. The same serialisation keeps one active request per member and role (the check
runs inside the transaction that moves the counters), and one confirmation per volunteer and
day (the volunteer's total is updated before the day's record is written).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import OperationFailure

from services.events import readmodel_store
from services.events.causes import rules
from services.events.messages import (
    CATALOG,
    CAUSE_CLOSED,
    CAUSE_PUBLISHED,
    HOURS_CONFIRMED,
    VOLUNTEER_JOINED,
    VOLUNTEER_LEFT,
)
from shared.bus import outbox
from shared.bus.envelope import Envelope
from shared.logs import current_correlation_id
from shared.store import Index, asc
from shared.web import pagination

CAUSES, VOLUNTEERS, HOURS = "causes", "cause_volunteers", "cause_hours"
INDEXES: list[Index] = [
    Index(CAUSES, asc("status", "deadline"), name="causes_status_deadline"),
    Index(CAUSES, asc("owner_id"), name="causes_owner_id"),
    # A role's queue (promotion, queue places) and an owner's list of a cause's volunteers.
    Index(VOLUNTEERS, asc("cause_id", "role_id", "status", "position"), name="cause_volunteers_queue"),
    Index(VOLUNTEERS, asc("member_id", "cause_id"), name="cause_volunteers_member"),
    Index(HOURS, asc("member_id"), name="cause_hours_member"),
]
# The owner's list: by role, joined before waiting (then FIFO), those who left after.
LIST_ORDER = [("role_id", ASCENDING), ("status", ASCENDING), ("position", ASCENDING), ("joined_at", ASCENDING),
              ("_id", ASCENDING)]
Guard = Callable[[dict], None]


class NotFound(Exception):
    """No such cause (``what == "cause"``), role (``"role"``) or volunteer (``"volunteer"``)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _changed_meanwhile() -> OperationFailure:
    """What a conditional update that found the counters changed raises: a write conflict,
    which ``with_transaction`` retries like the store's own."""
    return OperationFailure("The cause's slots changed during the transaction.", 112,
                            {"errorLabels": ["TransientTransactionError"], "codeName": "WriteConflict"})


def _cause(db: Database, cause_id: str, session: ClientSession | None = None) -> dict:
    cause = db[CAUSES].find_one({"_id": cause_id}, session=session)
    if cause is None:
        raise NotFound("cause")
    return cause


def _role(cause: dict, role_id: str) -> dict:
    role = rules.role_of(cause, role_id)
    if role is None:
        raise NotFound("role")
    return role


def _move(db: Database, session: ClientSession, cause: dict, role_id: str, *, filled: int = 0, waiting: int = 0,
          seq: int = 0) -> dict:
    """Change a role's counters, if they are still what ``cause`` says; the cause after."""
    counts = cause["counts"][role_id]
    changes = {f"counts.{role_id}.{name}": by for name, by in (("filled", filled), ("waiting", waiting),
                                                               ("seq", seq)) if by}
    if not changes:
        return cause
    updated = db[CAUSES].find_one_and_update(
        {"_id": cause["_id"], **{f"counts.{role_id}.{name}": counts[name] for name in ("filled", "waiting", "seq")}},
        {"$inc": changes}, session=session, return_document=ReturnDocument.AFTER)
    if updated is None:
        raise _changed_meanwhile()
    return updated


# --------------------------------------------------------------------------- messages

def summary(cause: dict) -> dict[str, Any]:
    """The cause as every message shows it (messages.CauseSummary)."""
    return {"cause_id": cause["_id"], "kind": cause["kind"], "title": cause["title"],
            "deadline": cause["deadline"].isoformat(), "owner_id": cause.get("owner_id")}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _message(event_type: str, cause: dict, subject: str, data: dict) -> Envelope:
    return CATALOG.create(event_type, subject, {**summary(cause), **data}, current_correlation_id())


def _joined_message(cause: dict, volunteer: dict, at: datetime, *, position: int | None,
                    promoted: bool) -> Envelope:
    role = rules.role_of(cause, volunteer["role_id"])
    return _message(VOLUNTEER_JOINED, cause, volunteer["_id"], {
        "volunteer_id": volunteer["_id"], "member_id": volunteer["member_id"],
        "role": {"role_id": role["role_id"], "title": role["title"], "what_to_bring": role.get("what_to_bring"),
                 "when": _iso(role.get("when")), "place": role.get("place")},
        "status": volunteer["status"], "position": position, "promoted": promoted,
        "quantity": volunteer.get("quantity"), "at": at.isoformat()})


def _left_message(cause: dict, volunteer: dict, at: datetime) -> Envelope:
    return _message(VOLUNTEER_LEFT, cause, volunteer["_id"], {
        "volunteer_id": volunteer["_id"], "member_id": volunteer["member_id"], "role_id": volunteer["role_id"],
        "reason": volunteer["left_reason"], "at": at.isoformat()})


def _published_message(cause: dict) -> Envelope:
    roles = [{"role_id": r["role_id"], "title": r["title"], "slots": r["slots"],
              "what_to_bring": r.get("what_to_bring"), "when": _iso(r.get("when"))} for r in cause["roles"]]
    return _message(CAUSE_PUBLISHED, cause, cause["_id"], {
        "description": cause["description"], "audience": cause["audience"], "roles": roles,
        "goal": cause.get("goal"), "donation_url": cause.get("donation_url"),
        "published_at": cause["published_at"].isoformat()})


# --------------------------------------------------------------------------- reading

def get(db: Database, cause_id: str) -> dict:
    return _cause(db, cause_id)


def listing(statuses: list[str], kinds: list[str] | None) -> dict[str, Any]:
    query: dict[str, Any] = {"status": {"$in": statuses}}
    if kinds:
        query["kind"] = {"$in": kinds}
    return query


def page(db: Database, query: dict, number: int, per_page: int) -> tuple[list[dict], int]:
    """One page of causes, the nearest deadline first; and the total (counted only when the
    page does not tell it)."""
    skip = (number - 1) * per_page
    found = list(db[CAUSES].find(query).sort([("deadline", ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(per_page))
    total = pagination.known_total(skip, len(found), per_page)
    return found, db[CAUSES].count_documents(query) if total is None else total


def queue_place(db: Database, volunteer: dict, session: ClientSession | None = None) -> int | None:
    """A waiting volunteer's place in their role's queue (1 is next), else ``None``."""
    if volunteer.get("status") != rules.WAITLISTED:
        return None
    return db[VOLUNTEERS].count_documents({
        "cause_id": volunteer["cause_id"], "role_id": volunteer["role_id"], "status": rules.WAITLISTED,
        "position": {"$lte": volunteer["position"]}}, session=session)


def mine(db: Database, cause_id: str, member_id: str) -> list[tuple[dict, int | None]]:
    """A member's joined and waiting requests for a cause, with their queue places."""
    found = db[VOLUNTEERS].find({"member_id": member_id, "cause_id": cause_id, "status": {"$in": list(rules.ACTIVE)}})
    return [(v, queue_place(db, v)) for v in found.sort("role_id", ASCENDING)]


def volunteers(db: Database, cause_id: str, status: str | None, role_id: str | None, number: int,
               per_page: int) -> tuple[list[tuple[dict, int | None]], int]:
    """One page of a cause's volunteers (joined and waiting unless ``status`` says) with their
    queue places; and the total."""
    query: dict[str, Any] = {"cause_id": cause_id, "status": status or {"$in": list(rules.ACTIVE)}}
    if role_id:
        query["role_id"] = role_id
    found = list(db[VOLUNTEERS].find(query).sort(LIST_ORDER).skip((number - 1) * per_page).limit(per_page))
    return [(v, queue_place(db, v)) for v in found], db[VOLUNTEERS].count_documents(query)


# --------------------------------------------------------------------------- the cause

def create(store, fields: dict, admin_id: str, now: datetime) -> dict:
    """A draft; raises ``rules.Refusal`` (a deadline passed) or ``Invalid`` (fields that
    contradict each other)."""
    cause = {"_id": uuid.uuid4().hex, "status": rules.DRAFT, "audience": {"kind": "all"}, "roles": [], "goal": None,
             "donation_url": None, "owner_id": admin_id, "description": {"bg": "", "en": ""}, **fields,
             "hours_total": 0.0, "created_by": admin_id, "created_at": now, "updated_at": now,
             "published_at": None, "closed_at": None}
    cause["counts"] = rules.new_counts(cause["roles"])
    _check(cause, now)

    # In a transaction, so that a request's Idempotency-Key record commits with it.
    def work(session: ClientSession) -> None:
        _hold_owner(store.db, session, cause["owner_id"], admin_id)
        store.db[CAUSES].insert_one(cause, session=session)
    store.transaction(work)
    return cause


def _hold_owner(db: Database, session: ClientSession, owner_id: str, actor_id: str | None) -> None:
    """A member named owner by someone else must be a member this service knows, held
    (``readmodel_store.hold_member``) so that their erasure handled meanwhile is ordered with
    this write (the erasure anonymises the causes it finds them owning); raises ``Invalid``
    naming ``owner_id`` otherwise (an erased member's id must never be stored again)."""
    if owner_id != actor_id and readmodel_store.hold_member(db, session, owner_id) is None:
        raise Invalid({"owner_id": ["Not a member known to the events service (perhaps erased)."]})


class Invalid(Exception):
    """The cause's fields contradict each other; ``errors`` names them."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The cause's fields contradict each other.")
        self.errors = errors


def _check(cause: dict, now: datetime, *, deadline: bool = True) -> None:
    """Raise ``Invalid`` naming every field at fault (the deadline too, when it was given)."""
    errors = rules.check(cause)
    try:
        if deadline:
            rules.check_deadline(cause["deadline"], now)
    except rules.Refusal as refusal:
        errors[refusal.field] = [str(refusal)]
    if errors:
        raise Invalid(errors)


def update(store, cause_id: str, changes: dict, now: datetime, guard: Guard, actor_id: str | None = None) -> dict:
    """Edit a cause (``guard(cause)`` raises when the caller may not; ``actor_id``: the
    caller). A draft's roles may be replaced; a published cause's are fixed."""
    db = store.db

    def work(session: ClientSession) -> dict:
        cause = _cause(db, cause_id, session)
        guard(cause)
        if changes.get("owner_id", cause["owner_id"]) != cause["owner_id"]:
            _hold_owner(db, session, changes["owner_id"], actor_id)
        rules.check_update(cause, changes)
        after = {**cause, **changes, "updated_at": now}
        if cause["status"] == rules.DRAFT and "roles" in changes:
            after["counts"] = rules.new_counts(after["roles"])
        if changes.get("goal") is not None:
            # The target and unit change; what was reached stays (``set_progress`` moves it).
            after["goal"] = {**changes["goal"], "current": (cause.get("goal") or {}).get("current", 0)}
        _check(after, now, deadline="deadline" in changes)
        db[CAUSES].replace_one({"_id": cause_id}, after, session=session)
        return after

    return store.transaction(work)


def publish(store, cause_id: str, now: datetime) -> tuple[dict, bool]:
    """Publish a draft (``events.cause.published``); publishing again changes nothing."""
    db = store.db

    def work(session: ClientSession) -> tuple[dict, bool]:
        cause = _cause(db, cause_id, session)
        if cause["status"] == rules.PUBLISHED:
            return cause, False
        rules.check_publish(cause, now)
        cause = {**cause, "status": rules.PUBLISHED, "published_at": now, "updated_at": now}
        db[CAUSES].replace_one({"_id": cause_id}, cause, session=session)
        outbox.add(db, session, _published_message(cause))
        return cause, True

    return store.transaction(work)


def close(store, cause_id: str, now: datetime, guard: Guard) -> tuple[dict, bool]:
    """Close a published cause: joining ends, the waiting requests end (one
    ``events.volunteer.left``, reason ``cause_closed``, each) and ``events.cause.closed``
    names everyone joined or waiting. Joined volunteers stay joined (their hours are still
    confirmed). Closing again changes nothing."""
    db = store.db

    def work(session: ClientSession) -> tuple[dict, bool]:
        cause = _cause(db, cause_id, session)
        guard(cause)
        if cause["status"] == rules.CLOSED:
            return cause, False
        rules.check_close(cause)
        active = list(db[VOLUNTEERS].find({"cause_id": cause_id, "status": {"$in": list(rules.ACTIVE)}},
                                          session=session).sort([("role_id", ASCENDING), ("position", ASCENDING)]))
        waiting = [rules.left(v, "cause_closed", now) for v in active if v["status"] == rules.WAITLISTED]
        db[VOLUNTEERS].update_many({"cause_id": cause_id, "status": rules.WAITLISTED}, {"$set": {
            "status": rules.LEFT, "left_at": now, "left_reason": "cause_closed"}}, session=session)
        counts = {role_id: {**each, "waiting": 0} for role_id, each in cause["counts"].items()}
        cause = {**cause, "status": rules.CLOSED, "closed_at": now, "updated_at": now, "counts": counts}
        db[CAUSES].replace_one({"_id": cause_id}, cause, session=session)
        named = lambda rows: sorted({v["member_id"] for v in rows if v["member_id"] is not None})  # noqa: E731
        outbox.add(db, session, *[_left_message(cause, v, now) for v in waiting if v["member_id"] is not None],
                   _message(CAUSE_CLOSED, cause, cause_id, {"closed_at": now.isoformat(), "member_ids": named(active),
                                                            "waiting_member_ids": named(waiting)}))
        return cause, True

    return store.transaction(work)


def set_progress(store, cause_id: str, current: float, now: datetime, guard: Guard) -> dict:
    """Set a campaign's ``goal.current``."""
    db = store.db

    def work(session: ClientSession) -> dict:
        cause = _cause(db, cause_id, session)
        guard(cause)
        rules.check_progress(cause)
        cause = {**cause, "goal": {**cause["goal"], "current": current}, "updated_at": now}
        db[CAUSES].replace_one({"_id": cause_id}, cause, session=session)
        return cause

    return store.transaction(work)


# --------------------------------------------------------------------------- volunteers

def join(store, cause_id: str, role_id: str, member_id: str, quantity: int | None, note: str | None,
         now: datetime, admission=None) -> tuple[dict, int | None]:
    """A member joins a role: joined if the request fits the slots left, else waiting at the
    next FIFO position; one ``events.volunteer.joined`` (status joined or waitlisted). Returns
    the volunteer and their queue place.

    ``admission`` (``api.Admission``) sees the cause (404) and admits the caller (403) inside
    the transaction before anything is written, on the read model as it is now. Raises
    ``NotFound`` and ``rules.Refusal`` (``already-volunteering`` when the member already holds
    or waits for this role)."""
    db = store.db

    def work(session: ClientSession) -> tuple[dict, int | None]:
        if admission is not None:
            admission.read_member(db, session)
        cause = _cause(db, cause_id, session)
        if admission is not None:
            admission.see(db, session, cause)
        role = _role(cause, role_id)
        if admission is not None:
            admission.admit(cause)
        rules.check_join(cause, now)
        if db[VOLUNTEERS].find_one({"member_id": member_id, "cause_id": cause_id, "role_id": role_id,
                                    "status": {"$in": list(rules.ACTIVE)}}, {"_id": 1}, session=session):
            raise rules.Refusal("already-volunteering", "You already volunteer for this role (or wait for it).")
        taking = rules.amount(cause, role, quantity)
        volunteer = rules.new_volunteer(uuid.uuid4().hex, cause, role_id, member_id, taking, quantity, note, now)
        if rules.decide(role, cause["counts"][role_id], taking) == rules.JOINED:
            cause = _move(db, session, cause, role_id, filled=taking)
            volunteer, place = rules.joined(volunteer, now), None
        else:
            cause = _move(db, session, cause, role_id, waiting=1, seq=1)
            counts = cause["counts"][role_id]
            # Every other waiting request came earlier: the new one is last.
            volunteer, place = rules.waitlisted(volunteer, counts["seq"]), counts["waiting"]
        db[VOLUNTEERS].insert_one(volunteer, session=session)
        outbox.add(db, session, _joined_message(cause, volunteer, now, position=place, promoted=False))
        return volunteer, place

    return store.transaction(work)


def leave(store, cause_id: str, role_id: str, member_id: str, reason: str, now: datetime) -> dict:
    """The member's joined or waiting request for a role ends (``events.volunteer.left``); the
    slots it held go to the waiting requests. Raises ``NotFound`` (``volunteer``: none active)
    and ``rules.Refusal`` (the cause is closed)."""
    db = store.db

    def work(session: ClientSession) -> dict:
        cause = _cause(db, cause_id, session)
        _role(cause, role_id)
        volunteer = db[VOLUNTEERS].find_one({"member_id": member_id, "cause_id": cause_id, "role_id": role_id,
                                             "status": {"$in": list(rules.ACTIVE)}}, session=session)
        if volunteer is None:
            raise NotFound("volunteer")
        rules.check_leave(cause)
        was = volunteer["status"]
        volunteer = rules.left(volunteer, reason, now)
        db[VOLUNTEERS].replace_one({"_id": volunteer["_id"]}, volunteer, session=session)
        cause = _free(db, session, cause, role_id, was, volunteer["amount"])
        outbox.add(db, session, _left_message(cause, volunteer, now))
        if was == rules.JOINED:
            promote_waiting(db, session, cause, role_id, now)
        return volunteer

    return store.transaction(work)


def _free(db: Database, session: ClientSession, cause: dict, role_id: str, status: str, taking: int) -> dict:
    """Take a request that ended off its role's counters."""
    if status == rules.JOINED:
        return _move(db, session, cause, role_id, filled=-taking)
    if status == rules.WAITLISTED:
        return _move(db, session, cause, role_id, waiting=-1)
    return cause


def promote_waiting(db: Database, session: ClientSession, cause: dict, role_id: str, now: datetime) -> dict:
    """Slots of a role were freed: its waiting requests take them in FIFO order while they fit
    (``events.volunteer.joined`` with ``promoted: true`` each); the cause as updated. Nothing
    happens unless the cause is published."""
    counts = cause["counts"][role_id]
    left = rules.slots_left(rules.role_of(cause, role_id), counts)
    if cause["status"] != rules.PUBLISHED or not counts["waiting"] or left <= 0:
        return cause
    waiting = db[VOLUNTEERS].find({"cause_id": cause["_id"], "role_id": role_id, "status": rules.WAITLISTED},
                                  session=session).sort("position", ASCENDING)
    chosen = rules.pick_promotions(waiting, left)
    if not chosen:
        return cause
    cause = _move(db, session, cause, role_id, filled=sum(v["amount"] for v in chosen), waiting=-len(chosen))
    promoted = [rules.joined(v, now, promoted=True) for v in chosen]
    for volunteer in promoted:
        db[VOLUNTEERS].replace_one({"_id": volunteer["_id"]}, volunteer, session=session)
    outbox.add(db, session, *[_joined_message(cause, v, now, position=None, promoted=True) for v in promoted])
    return cause


def confirm_hours(store, cause_id: str, volunteer_id: str, hours: float, on: date, note: str | None, by: str,
                  now: datetime, guard: Guard) -> dict:
    """Confirm the hours a joined volunteer gave on a day (``events.volunteer.hours_confirmed``);
    the record. Raises ``NotFound``, and ``rules.Refusal`` (``hours-already-confirmed`` for a
    day confirmed before)."""
    db = store.db

    def work(session: ClientSession) -> dict:
        cause = _cause(db, cause_id, session)
        guard(cause)
        # First the volunteer's total (read and added in one findAndModify; a refusal rolls it
        # back): two confirmations of one day conflict here, and the one run again finds the
        # other's record below.
        volunteer = db[VOLUNTEERS].find_one_and_update({"_id": volunteer_id, "cause_id": cause_id},
                                                       {"$inc": {"hours_total": hours}}, session=session)
        if volunteer is None:
            raise NotFound("volunteer")
        rules.check_hours(cause, volunteer, hours, on, now)
        record_id = f"{volunteer_id}:{on.isoformat()}"
        if db[HOURS].find_one({"_id": record_id}, {"_id": 1}, session=session):
            raise rules.Refusal("hours-already-confirmed", f"Hours for {on.isoformat()} are confirmed already.",
                                field="on")
        record = {"_id": record_id, "volunteer_id": volunteer_id, "cause_id": cause_id,
                  "role_id": volunteer["role_id"], "member_id": volunteer["member_id"], "hours": hours,
                  "on": on.isoformat(), "note": note, "confirmed_by": by, "confirmed_at": now}
        db[HOURS].insert_one(record, session=session)
        db[CAUSES].update_one({"_id": cause_id}, {"$inc": {"hours_total": hours}}, session=session)
        outbox.add(db, session, _message(HOURS_CONFIRMED, cause, record_id, {
            "volunteer_id": volunteer_id, "member_id": volunteer["member_id"], "role_id": volunteer["role_id"],
            "hours": hours, "on": on.isoformat(), "confirmed_by": by, "confirmed_at": now.isoformat()}))
        return record

    return store.transaction(work)


# --------------------------------------------------------------------------- erasure

def anonymise_member(db: Database, session: ClientSession, member_id: str, now: datetime) -> None:
    """The member was erased: their requests and confirmed hours lose the member id and the
    notes; a joined or waiting request of a cause not closed ends (reason ``erased``), its slots
    going to the next waiting; causes they owned have no owner (the office runs them).

    Nothing is published about the erased member (their id must not travel further); the
    promotions their slots allow are. Requests of closed causes keep their status (what was
    done stays counted, anonymously)."""
    # First the owner, so that the promotions below no longer name them.
    db[CAUSES].update_many({"owner_id": member_id}, {"$set": {"owner_id": None}}, session=session)
    for volunteer in list(db[VOLUNTEERS].find({"member_id": member_id}, session=session)):
        cause = db[CAUSES].find_one({"_id": volunteer["cause_id"]}, session=session)
        ends = cause is not None and volunteer["status"] in rules.ACTIVE and cause["status"] != rules.CLOSED
        anonymous = {**volunteer, "member_id": None, "note": None, "anonymised_at": now}
        if ends:
            anonymous = rules.left(anonymous, "erased", now)
        db[VOLUNTEERS].replace_one({"_id": volunteer["_id"]}, anonymous, session=session)
        if not ends:
            continue
        cause = _free(db, session, cause, volunteer["role_id"], volunteer["status"], volunteer["amount"])
        if volunteer["status"] == rules.JOINED:
            promote_waiting(db, session, cause, volunteer["role_id"], now)
    db[HOURS].update_many({"member_id": member_id}, {"$set": {"member_id": None, "note": None}}, session=session)
