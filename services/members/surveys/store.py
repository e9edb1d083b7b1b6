"""MongoDB access for surveys: their definitions and phases, who took part, and the answers
(collections: ``surveys``, ``survey_participation``, ``survey_responses``; their documents are
described in ``services/members/model.py`` and /work/wt/notes/SURVEYS.md).

Why concurrent writes stay correct:

- One response per member and survey: a named response's ``_id`` is ``survey_id:member_id``,
  and so is the participation record of an anonymous survey, so two submits write the same
  document. Each submit runs in one transaction that reads that document first and writes it
  with the state it read as a condition; of two at once, the loser's write conflicts, the
  transaction is retried, and the retry reads the winner's submission: it is a re-submission
  (or, anonymous, refused), so ``members.survey.completed`` goes out once and the tallies
  (``results_store.record``) count the member once.
- An anonymous response keeps no link to its member: a random uuid4 ``_id`` (an ObjectId
  would hold its creation time), the day only, and no member id. The participation record
  is the only trace of the member and holds no answers after the submission.
- A survey changes phase (draft -> open -> closed) by a conditional update on its status, in
  the transaction that puts the event in the outbox.
"""
from __future__ import annotations

import uuid
from datetime import datetime, time, timezone
from typing import Any

from pymongo import DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.members.messages import CATALOG, SURVEY_CLOSED, SURVEY_COMPLETED, SURVEY_OPENED
from services.members.profiles import store as profiles_store
from services.members.segments import store as segments_store
from services.members.surveys import results_store
from services.members.surveys import rules
from shared import memberfilter
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc

SURVEYS, PARTICIPATION, RESPONSES = "surveys", "survey_participation", "survey_responses"
DRAFT, OPEN, CLOSED, SUBMITTED = "draft", "open", "closed", "submitted"
STATUSES = (DRAFT, OPEN, CLOSED)
INDEXES: list[Index] = [
    Index(SURVEYS, asc("status", "created_at"), name="surveys_status"),
    Index(SURVEYS, [("created_at", DESCENDING)], name="surveys_created"),
    # A member's own records: their surveys list and erasure.
    Index(PARTICIPATION, asc("member_id"), name="survey_participation_member"),
    Index(RESPONSES, asc("member_id"), name="survey_responses_member"),
    Index(RESPONSES, asc("survey_id", "status"), name="survey_responses_survey"),
]


class NotFound(Exception):
    pass


class WrongPhase(Exception):
    """The survey's status does not allow it: ``kind`` says which rule (``not-draft``...)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class Refused(Exception):
    """The request cannot be carried out as asked: ``errors`` name the fields at fault."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__(str(errors))
        self.errors = errors


class Closed(Exception):
    """Answers are taken only while the survey is open."""


class AlreadySubmitted(Exception):
    """A draft cannot replace a submission; an anonymous submission is final."""


def response_id(survey_id: str, member_id: str) -> str:
    return f"{survey_id}:{member_id}"


def _utc(moment: datetime) -> datetime:
    """As MongoDB keeps it (UTC, milliseconds): a value stored and read back compares equal."""
    moment = moment.astimezone(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _definition(body: dict) -> dict:
    return {**body, "opens_at": _utc(body["opens_at"]), "closes_at": _utc(body["closes_at"])}


# --- definitions and phases --------------------------------------------------------------

def create(store, body: dict, admin_id: str, now: datetime) -> dict:
    survey = {"_id": uuid.uuid4().hex, "status": DRAFT, **_definition(body), "created_by": admin_id,
              "created_at": now, "updated_at": now, "opened_at": None, "closed_at": None,
              "audience_size": None, "version": 1}
    store.transaction(lambda session: store.db[SURVEYS].insert_one(survey, session=session))
    return survey


def get(db: Database, survey_id: str, session: ClientSession | None = None) -> dict:
    survey = db[SURVEYS].find_one({"_id": survey_id}, session=session)
    if survey is None:
        raise NotFound(survey_id)
    return survey


def page(db: Database, status: str | None, number: int, per_page: int) -> tuple[list[dict], int]:
    query = {"status": status} if status else {}
    return profiles_store.page_of(db[SURVEYS], query, [("created_at", DESCENDING), ("_id", DESCENDING)],
                                  number, per_page)


def respondents(db: Database, survey_ids: list[str]) -> dict[str, int]:
    """Submitted responses per survey, in one query for a page of surveys."""
    counts = db[RESPONSES].aggregate([
        {"$match": {"survey_id": {"$in": survey_ids}, "status": SUBMITTED}},
        {"$group": {"_id": "$survey_id", "n": {"$sum": 1}}}])
    return {**{s: 0 for s in survey_ids}, **{c["_id"]: c["n"] for c in counts}}


def _draft(db: Database, session: ClientSession, survey_id: str) -> dict:
    survey = get(db, survey_id, session)
    if survey["status"] != DRAFT:
        raise WrongPhase("not-draft")
    return survey


def replace_draft(store, survey_id: str, body: dict, now: datetime) -> dict:
    def work(session: ClientSession) -> dict:
        survey = _draft(store.db, session, survey_id)
        survey = {**{k: v for k, v in survey.items() if k not in rules.SurveySchema._declared_fields},
                  **_definition(body), "updated_at": now, "version": survey["version"] + 1}
        store.db[SURVEYS].replace_one({"_id": survey_id, "status": DRAFT}, survey, session=session)
        return survey

    return store.transaction(work)


def delete_draft(store, survey_id: str) -> None:
    def work(session: ClientSession) -> None:
        _draft(store.db, session, survey_id)
        store.db[SURVEYS].delete_one({"_id": survey_id, "status": DRAFT}, session=session)

    store.transaction(work)


def audience_spec(db: Database, survey: dict) -> dict | None:
    """The survey's audience as a member filter: its class or faculty, or the saved segment's
    filter now; ``None`` when its segment no longer exists (then it reaches no one)."""
    spec = rules.audience_filter(survey["audience"])
    if spec is not None:
        return spec
    try:
        return segments_store.get(db, survey["audience"]["segment_id"])["filter"]
    except segments_store.NotFound:
        return None


def in_audience(db: Database, survey: dict, member: dict) -> bool:
    """Whether a member is one the survey asks: verified, and matching its audience."""
    spec = audience_spec(db, survey)
    return member.get("status") == "verified" and spec is not None and memberfilter.matches(member, spec)


def open_survey(store, survey_id: str, now: datetime) -> dict:
    """Open a draft: its audience is counted (verified members matching it now) and
    ``members.survey.opened`` goes out with it. A survey whose close is past, or whose
    segment is gone, is ``Refused``."""
    db = store.db

    def work(session: ClientSession) -> dict:
        survey = _draft(db, session, survey_id)
        if survey["closes_at"] <= now:
            raise Refused({"closes_at": ["Is past: move it to a later time first."]})
        spec = audience_spec(db, survey)
        if spec is None:
            raise Refused({"audience": {"segment_id": ["There is no such segment (any more)."]}})
        survey = {**survey, "status": OPEN, "opened_at": now, "updated_at": now,
                  "audience_size": segments_store.count(db, spec), "version": survey["version"] + 1}
        db[SURVEYS].replace_one({"_id": survey_id, "status": DRAFT}, survey, session=session)
        segment = survey["audience"]["kind"] == "segment"
        outbox.add(db, session, CATALOG.create(SURVEY_OPENED, survey_id, {
            "survey_id": survey_id, "title": survey["title"], "description": survey.get("description"),
            "opens_at": survey["opens_at"].isoformat(), "closes_at": survey["closes_at"].isoformat(),
            "anonymous": survey["anonymous"], "questions": sum(1 for _ in rules.questions(survey)),
            "filter": None if segment else spec,
            "segment_id": survey["audience"]["segment_id"] if segment else None,
            "opened_at": now.isoformat()}, current_correlation_id()))
        return survey

    return store.transaction(work)


def close_survey(store, survey_id: str, now: datetime) -> dict:
    """Close an open survey now; ``members.survey.closed`` stops its reminders."""
    db = store.db

    def work(session: ClientSession) -> dict:
        survey = get(db, survey_id, session)
        if survey["status"] != OPEN:
            raise WrongPhase("not-open")
        survey = {**survey, "status": CLOSED, "closed_at": now, "updated_at": now, "version": survey["version"] + 1}
        db[SURVEYS].replace_one({"_id": survey_id, "status": OPEN}, survey, session=session)
        outbox.add(db, session, CATALOG.create(SURVEY_CLOSED, survey_id, {
            "survey_id": survey_id, "closed_at": now.isoformat()}, current_correlation_id()))
        return survey

    return store.transaction(work)


def is_answerable(survey: dict, now: datetime) -> bool:
    """The member's phase: answers are taken while it is open and within its dates."""
    return survey["status"] == OPEN and rules.is_open(survey, now)


def open_for(db: Database, member: dict, now: datetime) -> list[dict]:
    """The surveys open now whose audience includes the member, soonest to close first."""
    found = db[SURVEYS].find({"status": OPEN, "opens_at": {"$lte": now}, "closes_at": {"$gt": now}})
    return sorted((s for s in found if in_audience(db, s, member)), key=lambda s: (s["closes_at"], s["_id"]))


# --- a member's response -----------------------------------------------------------------

def mine(db: Database, survey: dict, member_id: str) -> dict | None:
    """The member's record for the survey: their named response, or (anonymous) their
    participation record; ``None`` when they have not started."""
    collection = PARTICIPATION if survey["anonymous"] else RESPONSES
    return db[collection].find_one({"_id": response_id(survey["_id"], member_id)})


def statuses(db: Database, surveys: list[dict], member_id: str) -> dict[str, str]:
    """``new``, ``draft`` or ``submitted`` per survey for the member, in two queries."""
    found: dict[str, str] = {}
    for collection, anonymous in ((RESPONSES, False), (PARTICIPATION, True)):
        ids = [response_id(s["_id"], member_id) for s in surveys if s["anonymous"] is anonymous]
        if ids:
            for doc in db[collection].find({"_id": {"$in": ids}}, {"survey_id": 1, "status": 1}):
                found[doc["survey_id"]] = doc["status"]
    return {s["_id"]: found.get(s["_id"], "new") for s in surveys}


def _groups(member: dict) -> dict[str, Any]:
    year = member.get("graduation_year")
    return {"class": year, "faculty": member.get("faculty")}


def _tally_groups(doc: dict) -> dict[str, str | None]:
    return {"class": None if doc.get("class") is None else str(doc["class"]), "faculty": doc.get("faculty")}


def save_draft(store, survey: dict, member: dict, answers: dict, now: datetime) -> dict:
    """Save the member's unfinished answers (checked by the caller). A submitted response is
    changed by submitting again, never back into a draft (``AlreadySubmitted``)."""
    db, rid = store.db, response_id(survey["_id"], member["_id"])
    collection = PARTICIPATION if survey["anonymous"] else RESPONSES

    def work(session: ClientSession) -> dict:
        found = db[collection].find_one({"_id": rid}, session=session)
        if found is not None and found["status"] == SUBMITTED:
            raise AlreadySubmitted()
        base = {"_id": rid, "survey_id": survey["_id"], "member_id": member["_id"], "status": DRAFT,
                "saved_at": now, "submitted_at": None}
        doc = {**base, "draft": answers} if survey["anonymous"] else {
            **base, "answers": answers, **_groups(member), "proposals": []}
        if found is None:
            db[collection].insert_one(doc, session=session)
        else:
            db[collection].replace_one({"_id": rid, "status": DRAFT}, doc, session=session)
        return doc

    return store.transaction(work)


def saved_answers(db: Database, survey: dict, member_id: str) -> dict:
    """What a submission without answers submits: the saved draft (or, named, the answers
    last submitted)."""
    found = mine(db, survey, member_id)
    if found is None:
        return {}
    return found.get("draft") or {} if survey["anonymous"] else found.get("answers") or {}


def submit(store, survey: dict, member_id: str, answers: dict, now: datetime, *, member: dict | None = None) -> dict:
    """Submit the member's answers (valid and without hidden ones: the caller checked them).

    Named: the response holds the answers and the profile changes they propose (a decided
    proposal keeps its decision when proposed again); submitting again replaces the answers.
    Anonymous: a response with no link to the member, the participation record marked
    submitted and its draft dropped; submitting again is ``AlreadySubmitted``. The first
    submission publishes ``members.survey.completed``. Returns ``{status, submitted_at,
    proposals}``. ``Closed`` once the survey is no longer open (read in the transaction).
    ``member``: the member's record as the caller just read it (verified, so not erased),
    which is then not read again."""
    db = store.db
    submit_one = _submit_anonymous if survey["anonymous"] else _submit_named

    def work(session: ClientSession) -> dict:
        current = get(db, survey["_id"], session)
        if not is_answerable(current, now):
            raise Closed()
        found = member if member is not None else profiles_store.live(db, member_id, session)
        return submit_one(db, session, current, found, answers, now)

    return store.transaction(work)


def _completed(db: Database, session: ClientSession, survey: dict, member_id: str, at: datetime) -> None:
    outbox.add(db, session, CATALOG.create(SURVEY_COMPLETED, survey["_id"], {
        "survey_id": survey["_id"], "member_id": member_id, "anonymous": survey["anonymous"],
        "completed_at": at.isoformat()}, current_correlation_id()))


def _kept_decisions(proposals: list[dict], earlier: list[dict]) -> list[dict]:
    decided = {(p["field"], repr(p["new"])): p["state"] for p in earlier if p.get("state") != "pending"}
    return [{**p, "state": decided.get((p["field"], repr(p["new"])), "pending")} for p in proposals]


def _submit_named(db: Database, session: ClientSession, survey: dict, member: dict, answers: dict,
                  now: datetime) -> dict:
    rid = response_id(survey["_id"], member["_id"])
    found = db[RESPONSES].find_one({"_id": rid}, session=session)
    again = found is not None and found["status"] == SUBMITTED
    groups = {k: found.get(k) for k in ("class", "faculty")} if again else _groups(member)
    proposals = _kept_decisions(rules.proposed_changes(survey, answers, member),
                                found.get("proposals", []) if found else [])
    doc = {"_id": rid, "survey_id": survey["_id"], "member_id": member["_id"], "status": SUBMITTED,
           "answers": answers, **groups, "saved_at": now, "submitted_at": now, "proposals": proposals}
    if found is None:
        db[RESPONSES].insert_one(doc, session=session)
    else:  # conditional on what was read: a concurrent submit makes this conflict and retry
        db[RESPONSES].replace_one({"_id": rid, "status": found["status"], "saved_at": found["saved_at"]}, doc,
                                  session=session)
    results_store.record(db, session, survey, _tally_groups(doc), found["answers"] if again else None, answers)
    if not again:
        _completed(db, session, survey, member["_id"], now)
    return {"status": SUBMITTED, "submitted_at": now, "proposals": proposals}


def day_of(moment: datetime) -> datetime:
    """Midnight UTC of the moment's day: the only time kept of an anonymous submission."""
    return datetime.combine(moment.astimezone(timezone.utc).date(), time(), timezone.utc)


def _submit_anonymous(db: Database, session: ClientSession, survey: dict, member: dict, answers: dict,
                      now: datetime) -> dict:
    rid = response_id(survey["_id"], member["_id"])
    found = db[PARTICIPATION].find_one({"_id": rid}, session=session)
    if found is not None and found["status"] == SUBMITTED:
        raise AlreadySubmitted()
    participation = {"_id": rid, "survey_id": survey["_id"], "member_id": member["_id"], "status": SUBMITTED,
                     "saved_at": now, "submitted_at": now}   # no draft: the answers are no longer theirs
    if found is None:
        db[PARTICIPATION].insert_one(participation, session=session)
    else:
        db[PARTICIPATION].replace_one({"_id": rid, "status": DRAFT}, participation, session=session)
    day = day_of(now)
    response = {"_id": uuid.uuid4().hex, "survey_id": survey["_id"], "status": SUBMITTED, "answers": answers,
                **_groups(member), "submitted_on": day.date().isoformat()}
    db[RESPONSES].insert_one(response, session=session)
    results_store.record(db, session, survey, _tally_groups(response), None, answers)
    _completed(db, session, survey, member["_id"], day)
    return {"status": SUBMITTED, "submitted_at": day, "proposals": []}


# --- proposals ---------------------------------------------------------------------------

def decide_proposals(store, survey: dict, member_id: str, decisions: dict[str, str], patch: dict) -> tuple[list, dict]:
    """Record the member's decisions on their response's pending proposals and apply the
    accepted values (``patch``, validated by the caller as a profile update) through the
    profile's own update, in one transaction (it publishes ``members.member.updated``).
    Returns the proposals and the changed profile fields."""
    db, rid = store.db, response_id(survey["_id"], member_id)

    def work(session: ClientSession) -> tuple[list, dict]:
        found = db[RESPONSES].find_one({"_id": rid}, session=session)
        if found is None or found["status"] != SUBMITTED:
            raise NotFound(rid)
        pending = {p["field"] for p in found["proposals"] if p["state"] == "pending"}
        stale = [f for f in decisions if f not in pending]
        if stale:
            raise Refused({"decisions": {f: ["No pending proposal for this field."] for f in stale}})
        changed = {}
        if patch:
            _, changed = profiles_store.apply_changes(db, session, member_id, patch)
        states = {"accept": "accepted", "decline": "declined"}
        proposals = [{**p, "state": states[decisions[p["field"]]]} if p["field"] in decisions else p
                     for p in found["proposals"]]
        db[RESPONSES].update_one({"_id": rid}, {"$set": {"proposals": proposals}}, session=session)
        return proposals, changed

    return store.transaction(work)


# --- erasure -----------------------------------------------------------------------------

def forget(db: Database, session: ClientSession, member_id: str) -> None:
    """Erasure (inside its transaction): the member's named responses leave the results
    (``results_store.record`` with ``after=None``) and are deleted with their participation
    records. Anonymous responses hold nothing of the member and stay counted."""
    named = list(db[RESPONSES].find({"member_id": member_id}, session=session))
    surveys = {s["_id"]: s for s in db[SURVEYS].find(
        {"_id": {"$in": list({r["survey_id"] for r in named})}}, session=session)}
    for response in named:
        if response["status"] == SUBMITTED and response["survey_id"] in surveys:
            results_store.record(db, session, surveys[response["survey_id"]], _tally_groups(response),
                                 response["answers"], None)
    db[RESPONSES].delete_many({"member_id": member_id}, session=session)
    db[PARTICIPATION].delete_many({"member_id": member_id}, session=session)


def of_member(db: Database, member_id: str) -> dict[str, list[dict]]:
    """What the export shows: the member's named responses and the surveys they took part in."""
    return {"responses": list(db[RESPONSES].find({"member_id": member_id}, {"_id": 0}).sort("saved_at", 1)),
            "participation": list(db[PARTICIPATION].find({"member_id": member_id}, {"_id": 0}).sort("saved_at", 1))}
