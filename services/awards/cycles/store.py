"""MongoDB access for award cycles: cycles, nominations, judges' scores and past winners (the
rules are ``rules.py``, ``judging.py`` and ``results.py``; this module stores what they decide,
with the events they cause, in one transaction each).

- ``award_cycles`` ``{_id, year, title, rules_version, activity_from, activity_to, phases,
  audience, judges, status, categories, ballot_salt, decisions: {category_id: {nomination_ids,
  no_award, reason, citations, decided_at}}, created_at, opened_at, announced_at}``. Every
  change is an update conditional on what it was read as (the status, or the phases for an
  advance), so two office clicks at once cannot both act: the loser finds it changed.
- ``award_nominations`` ``{_id, cycle_id, category_id, nominee_id, statements: [{nominator_id,
  statement, at, redacted}], status: awaiting|confirmed|declined, details, submitted_at,
  decided_at, confirmed_at}``; unique per (cycle, category, nominee): two nominators of one
  person at the same instant meet at the index, and the second is merged into the first
  (``nominate`` retries on the duplicate key). ``awards.nomination.submitted`` is published by
  the insert only.
- ``award_scores`` ``{_id, cycle_id, category_id, nomination_id, judge_id, scores, weighted,
  conflict, at}``, unique per (nomination, judge). A declared conflict is a score document
  without scores.
- ``award_winners`` ``{_id: cycle:category:nomination, cycle_id, year, category_id, member_id,
  announced_at}``, written at the announcement: what ``not_recent_winner`` reads.
- Erasure (``forget_member``): the member's nominations deleted, their statements as a
  nominator removed, scores by them kept without their id, their place among winners kept
  without their id.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.awards import messages, readmodel_store
from services.awards.cycles import rules
from services.awards.ledger import store as ledger_store
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc

CYCLES, NOMINATIONS, SCORES, WINNERS = "award_cycles", "award_nominations", "award_scores", "award_winners"
AWAITING, CONFIRMED, DECLINED = "awaiting", "confirmed", "declined"
DECISIONS = {"confirm": CONFIRMED, "decline": DECLINED}

INDEXES: list[Index] = [
    Index(CYCLES, [("status", 1), ("year", DESCENDING)], name="cycles_by_status"),
    Index(NOMINATIONS, asc("cycle_id", "category_id", "nominee_id"), unique=True, name="nominations_one_per_nominee"),
    Index(NOMINATIONS, asc("nominee_id"), name="nominations_of_nominee"),
    Index(NOMINATIONS, asc("statements.nominator_id"), name="nominations_by_nominator"),
    Index(NOMINATIONS, asc("cycle_id", "status"), name="nominations_of_cycle"),
    Index(SCORES, asc("nomination_id", "judge_id"), unique=True, name="scores_one_per_judge"),
    Index(SCORES, asc("cycle_id"), name="scores_of_cycle"),
    Index(WINNERS, asc("member_id", "category_id"), name="winners_of_member"),
]


class NotFound(Exception):
    pass


class Changed(Exception):
    """The document changed between the read and the write (another request)."""


class Erased(Exception):
    """A member the write names was erased while the request ran."""


def _hold(db: Database, session: ClientSession, member_ids: set[str], required: tuple[str, ...]) -> None:
    """Hold the members a write names (``readmodel_store.hold_members``: their erasure handled
    meanwhile is ordered with it); raise ``Erased`` when one of ``required`` is not in the view,
    or another is erased (an admin acting need not be in the view)."""
    held = readmodel_store.hold_members(db, session, member_ids)
    if any(m not in held for m in required) or any(
            readmodel_store.is_erased(db, session, m) for m in member_ids - held):
        raise Erased()


def _publish(db: Database, session: ClientSession, event_type: str, subject: str, data: dict) -> None:
    outbox.add(db, session, messages.CATALOG.create(event_type, subject, data, current_correlation_id()))


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# --------------------------------------------------------------------------- cycles

def get_cycle(db: Database, cycle_id: str, session: ClientSession | None = None) -> dict:
    found = db[CYCLES].find_one({"_id": cycle_id}, session=session)
    if found is None:
        raise NotFound(cycle_id)
    return found


def create_cycle(store, cycle: Mapping[str, Any], now: datetime) -> dict:
    document = {"_id": uuid.uuid4().hex, **cycle, "status": rules.DRAFT, "decisions": {},
                "ballot_salt": secrets.token_hex(16), "created_at": now, "updated_at": now}
    store.transaction(lambda session: store.db[CYCLES].insert_one(document, session=session))
    return document


def replace_draft(store, cycle_id: str, cycle: Mapping[str, Any], now: datetime) -> dict:
    """Store a draft's new definition; ``Changed`` if it is no longer a draft."""
    def work(session: ClientSession) -> dict:
        found = store.db[CYCLES].find_one_and_update(
            {"_id": cycle_id, "status": rules.DRAFT}, {"$set": {**cycle, "updated_at": now}},
            return_document=True, session=session)
        if found is None:
            get_cycle(store.db, cycle_id, session)
            raise Changed(cycle_id)
        return found
    return store.transaction(work)


def cycles_page(db: Database, statuses: tuple[str, ...], page: int, per_page: int) -> tuple[list[dict], int]:
    query = {"status": {"$in": list(statuses)}}
    items = list(db[CYCLES].find(query).sort([("year", DESCENDING), ("_id", 1)]).skip((page - 1) * per_page)
                 .limit(per_page))
    return items, db[CYCLES].count_documents(query)


def open_cycle(store, cycle: Mapping[str, Any], now: datetime) -> dict:
    """Open a draft: the ledger starts counting its standings, and ``awards.cycle.opened`` is
    published, in one transaction (``Changed``: no longer a draft)."""
    db = store.db

    def work(session: ClientSession) -> dict:
        opened = db[CYCLES].find_one_and_update({"_id": cycle["_id"], "status": rules.DRAFT},
                                                {"$set": {"status": rules.OPEN, "opened_at": now, "updated_at": now}},
                                                return_document=True, session=session)
        if opened is None:
            raise Changed(cycle["_id"])
        ledger_store.open_cycle(db, session, opened["_id"], opened["rules_version"], opened["activity_from"],
                                opened["activity_to"])
        _publish(db, session, messages.CYCLE_OPENED, opened["_id"], {
            "cycle_id": opened["_id"], "year": opened["year"], "title": opened["title"],
            "categories": [{k: c[k] for k in ("category_id", "title", "description", "self_nomination")}
                           for c in opened["categories"]],
            "nominations_until": _iso(opened["phases"]["nominations_until"]), "audience": opened["audience"],
            "opened_at": _iso(now)})
        return opened
    return store.transaction(work)


def set_phases(store, cycle: Mapping[str, Any], phases: dict, now: datetime) -> dict:
    """The office ended a phase: conditional on the phases it read (``Changed`` otherwise)."""
    found = store.db[CYCLES].find_one_and_update(
        {"_id": cycle["_id"], "status": cycle["status"], "phases": cycle["phases"]},
        {"$set": {"phases": phases, "updated_at": now}}, return_document=True)
    if found is None:
        raise Changed(cycle["_id"])
    return found


# --------------------------------------------------------------------------- nominations

def get_nomination(db: Database, nomination_id: str, session: ClientSession | None = None) -> dict:
    found = db[NOMINATIONS].find_one({"_id": nomination_id}, session=session)
    if found is None:
        raise NotFound(nomination_id)
    return found


def nominate(store, cycle: Mapping[str, Any], category: Mapping[str, Any], nominee_id: str, nominator_id: str,
             statement: str, now: datetime, nominee_party: dict) -> tuple[dict, bool]:
    """Nominate ``nominee_id`` in ``category``: a new nomination (``True``), or a statement
    added to the existing one (``False``; a nominator's second statement replaces their
    first). Only a new nomination publishes ``awards.nomination.submitted``. The nominee and
    the nominator are held in the view (``readmodel_store.hold_members``): an erasure of either
    handled meanwhile is ordered with this write, and raises ``Erased`` once it came first
    (the nominee gone from the view, or the nominator erased)."""
    db = store.db
    entry = {"nominator_id": nominator_id, "statement": statement, "at": now, "redacted": None}
    key = {"cycle_id": cycle["_id"], "category_id": category["category_id"], "nominee_id": nominee_id}

    def work(session: ClientSession) -> tuple[dict, bool]:
        _hold(db, session, {nominee_id, nominator_id}, required=(nominee_id,))
        existing = db[NOMINATIONS].find_one(key, session=session)
        if existing is not None:
            statements = [s for s in existing["statements"] if s["nominator_id"] != nominator_id] + [entry]
            merged = db[NOMINATIONS].find_one_and_update({"_id": existing["_id"]}, {"$set": {
                "statements": statements}}, return_document=True, session=session)
            return merged, False
        document = {"_id": uuid.uuid4().hex, **key, "statements": [entry], "status": AWAITING, "details": None,
                    "submitted_at": now, "decided_at": None, "confirmed_at": None}
        db[NOMINATIONS].insert_one(document, session=session)
        _publish(db, session, messages.NOMINATION_SUBMITTED, document["_id"], {
            "nomination_id": document["_id"], "cycle_id": cycle["_id"], "year": cycle["year"],
            "category": {"category_id": category["category_id"], "title": category["title"]},
            "nominee_id": nominee_id, "nominee": nominee_party,
            "decide_by": _iso(cycle["phases"]["confirmation_until"]), "submitted_at": _iso(now)})
        return document, True

    for _ in range(3):
        try:
            return store.transaction(work)
        except DuplicateKeyError:
            continue  # nominated at the same instant by someone else: merge into theirs
    raise Changed(nominee_id)


def decide(store, nomination: Mapping[str, Any], decision: str, details: str | None,
           now: datetime) -> tuple[dict, bool]:
    """The nominee's decision (``confirm`` or ``decline``), once: ``(nomination, False)``;
    the same decision again answers ``(nomination, True)``; the other one is ``Changed``."""
    db = store.db
    status = DECISIONS[decision]

    def work(session: ClientSession) -> tuple[dict, bool]:
        current = get_nomination(db, nomination["_id"], session)
        if current["status"] == status:
            return current, True
        if current["status"] != AWAITING:
            raise Changed(nomination["_id"])
        changes = {"status": status, "decided_at": now, "details": details if status == CONFIRMED else None,
                   "confirmed_at": now if status == CONFIRMED else None}
        decided = db[NOMINATIONS].find_one_and_update({"_id": current["_id"], "status": AWAITING},
                                                      {"$set": changes}, return_document=True, session=session)
        event = messages.NOMINATION_CONFIRMED if status == CONFIRMED else messages.NOMINATION_DECLINED
        cycle = get_cycle(db, current["cycle_id"], session)  # the receipt names the award and its date
        category = next(c for c in cycle["categories"] if c["category_id"] == current["category_id"])
        _publish(db, session, event, current["_id"], {
            "nomination_id": current["_id"], "cycle_id": current["cycle_id"], "year": cycle["year"],
            "category_id": current["category_id"],
            "category": {"category_id": category["category_id"], "title": category["title"]},
            "nominee_id": current["nominee_id"], "results_at": _iso(cycle["phases"]["results_at"]), "at": _iso(now)})
        return decided, False
    return store.transaction(work)


def nominations_of(db: Database, nominee_id: str) -> list[dict]:
    return list(db[NOMINATIONS].find({"nominee_id": nominee_id}).sort("submitted_at", DESCENDING).limit(200))


def nominations_by(db: Database, nominator_id: str) -> list[dict]:
    return list(db[NOMINATIONS].find({"statements.nominator_id": nominator_id})
                .sort("submitted_at", DESCENDING).limit(200))


def cycle_nominations(db: Database, cycle_id: str, category_id: str | None = None,
                      status: str | None = None) -> list[dict]:
    query: dict[str, Any] = {"cycle_id": cycle_id}
    if status:
        query["status"] = status
    if category_id:
        query["category_id"] = category_id
    return list(db[NOMINATIONS].find(query).sort([("category_id", 1), ("submitted_at", 1), ("_id", 1)]))


def redact(store, nomination: Mapping[str, Any], index: int, text: str, by: str, now: datetime) -> dict:
    """Replace statement ``index`` with the office's redaction (the original is not kept)."""
    current = nomination["statements"][index]
    found = store.db[NOMINATIONS].find_one_and_update(
        {"_id": nomination["_id"], f"statements.{index}.at": current["at"],
         f"statements.{index}.nominator_id": current["nominator_id"]},
        {"$set": {f"statements.{index}.statement": text, f"statements.{index}.redacted": {"by": by, "at": now}}},
        return_document=True)
    if found is None:
        raise Changed(nomination["_id"])
    return found


# --------------------------------------------------------------------------- judging

def scores_of_cycle(db: Database, cycle_id: str) -> list[dict]:
    return list(db[SCORES].find({"cycle_id": cycle_id}))


def save_score(store, nomination: Mapping[str, Any], judge_id: str, scores: dict | None, weighted: float | None,
               conflict: str | None, now: datetime) -> dict:
    """A judge's score of a nomination (replacing their earlier one), or their declared
    conflict (``scores`` None): one document per (nomination, judge). A score after a declared
    conflict is ``Changed``: the conflict stands. The judge is held in the view, as a
    nominator is (``nominate``): ``Erased`` once their erasure came first."""
    document = {"cycle_id": nomination["cycle_id"], "category_id": nomination["category_id"],
                "nomination_id": nomination["_id"], "judge_id": judge_id, "scores": scores, "weighted": weighted,
                "conflict": conflict, "at": now}
    key = {"nomination_id": nomination["_id"], "judge_id": judge_id}

    def work(session: ClientSession) -> dict:
        _hold(store.db, session, {judge_id}, required=())
        existing = store.db[SCORES].find_one(key, session=session)
        if existing is not None and existing.get("conflict") and conflict is None:
            raise Changed(nomination["_id"])
        store.db[SCORES].update_one(key, {"$set": document, "$setOnInsert": {"_id": uuid.uuid4().hex}},
                                    upsert=True, session=session)
        return document
    try:
        return store.transaction(work)
    except DuplicateKeyError:   # the same judge's two requests at once: the other one stands
        raise Changed(nomination["_id"]) from None


# --------------------------------------------------------------------------- winners

def decide_category(store, cycle: Mapping[str, Any], category_id: str, decision: dict, now: datetime) -> dict:
    """The office's decision for a category (winners or no award), replacing an earlier one
    until the announcement; the cycle is ``finalised`` once every category is decided."""
    def work(session: ClientSession) -> dict:
        current = get_cycle(store.db, cycle["_id"], session)
        if current["status"] not in (rules.OPEN, rules.FINALISED):
            raise Changed(cycle["_id"])
        decisions = {**current.get("decisions", {}), category_id: {**decision, "decided_at": now}}
        every = all(c["category_id"] in decisions for c in current["categories"])
        return store.db[CYCLES].find_one_and_update(
            {"_id": cycle["_id"], "status": current["status"]},
            {"$set": {"decisions": decisions, "status": rules.FINALISED if every else rules.OPEN, "updated_at": now}},
            return_document=True, session=session) or _changed(cycle["_id"])
    return store.transaction(work)


def _changed(cycle_id: str):
    raise Changed(cycle_id)


def announce(store, cycle: Mapping[str, Any], winners: list[dict], now: datetime) -> dict:
    """Announce a finalised cycle: its winners are recorded (``award_winners``) and one
    ``awards.winner.announced`` is published per winner, in one transaction. ``winners``:
    ``{nomination, category, party, citation}`` each."""
    db = store.db

    def work(session: ClientSession) -> dict:
        announced = db[CYCLES].find_one_and_update(
            {"_id": cycle["_id"], "status": rules.FINALISED},
            {"$set": {"status": rules.ANNOUNCED, "announced_at": now, "updated_at": now}},
            return_document=True, session=session)
        if announced is None:
            raise Changed(cycle["_id"])
        for winner in winners:
            nomination, category = winner["nomination"], winner["category"]
            db[WINNERS].insert_one({
                "_id": f"{cycle['_id']}:{category['category_id']}:{nomination['_id']}", "cycle_id": cycle["_id"],
                "year": cycle["year"], "category_id": category["category_id"], "member_id": nomination["nominee_id"],
                "nomination_id": nomination["_id"], "citation": winner["citation"], "announced_at": now},
                session=session)
            _publish(db, session, messages.WINNER_ANNOUNCED, nomination["_id"], {
                "cycle_id": cycle["_id"], "year": cycle["year"],
                "category": {"category_id": category["category_id"], "title": category["title"]},
                "winner_id": nomination["nominee_id"], "winner": winner["party"], "citation": winner["citation"],
                "audience": cycle["audience"], "announced_at": _iso(now)})
        return announced
    return store.transaction(work)


def winners_of_cycle(db: Database, cycle_id: str) -> list[dict]:
    return list(db[WINNERS].find({"cycle_id": cycle_id}).sort([("category_id", 1), ("_id", 1)]))


def won_years(db: Database, member_id: str, category_id: str) -> tuple[int, ...]:
    return tuple(w["year"] for w in db[WINNERS].find({"member_id": member_id, "category_id": category_id}))


# --------------------------------------------------------------------------- erasure

def forget_member(db: Database, session: ClientSession | None, member_id: str) -> None:
    """Erasure: the member's nominations go (they never reach judges or results), their
    statements as a nominator go, their scores stay without their id (a judge's scores still
    count), and a category they won keeps its winner without them."""
    anonymous = "erased:" + hashlib.sha256(member_id.encode()).hexdigest()[:16]
    theirs = [n["_id"] for n in db[NOMINATIONS].find({"nominee_id": member_id}, {"_id": 1}, session=session)]
    if theirs:
        db[SCORES].delete_many({"nomination_id": {"$in": theirs}}, session=session)
        db[NOMINATIONS].delete_many({"_id": {"$in": theirs}}, session=session)
    db[NOMINATIONS].update_many({"statements.nominator_id": member_id},
                                {"$pull": {"statements": {"nominator_id": member_id}}}, session=session)
    db[SCORES].update_many({"judge_id": member_id}, {"$set": {"judge_id": anonymous}}, session=session)
    db[CYCLES].update_many({"judges": member_id}, {"$pull": {"judges": member_id}}, session=session)
    db[WINNERS].update_many({"member_id": member_id}, {"$set": {"member_id": None, "citation": None}},
                            session=session)
