"""All MongoDB access of the survey invitations and reminders (rules: ``surveys.py``).

Collections:

- ``surveys``: what the emails of an opened survey need, one per survey, from
  ``members.survey.opened``: ``{_id: survey_id, status: "open" | "closed", title,
  description, opens_at, closes_at, anonymous, questions, invitation (its fan-out id),
  reminder_due_at, reminded_at}``;
- ``survey_completions``: who has answered, ``{_id: "<survey>:<member>", survey_id,
  member_id}``, from ``members.survey.completed``; gone with the member's erasure.

Events may arrive in any order: a close that came before its opening leaves a closed survey
that the opening never reopens, and the reminder is claimed by one conditional update (open,
not reminded yet), inside the transaction that stores the reminder's fan-out: of two worker
copies claiming it at once, one writes and the other's update matches nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.notifications.store import COMPLETIONS, CONTACTS, DELIVERIES, DIGESTED, SENT, SURVEYS, UNKNOWN

OPEN, CLOSED = "open", "closed"
# An invitation that went out (or may have: ``unknown``), alone or in a digest: its member
# was invited. A skipped or failed one invited nobody.
INVITED = (SENT, DIGESTED, UNKNOWN)

# Indexes (``store.NotificationsStore.indexes``): surveys by (status, reminder_due_at) for
# the timer, completions by member for erasure; everything else is found by ``_id``.


def completion_id(survey_id: str, member_id: str) -> str:
    return f"{survey_id}:{member_id}"


def record_opened(db: Database, session: ClientSession, survey: dict) -> dict:
    """Store an opened survey once; a survey already closed stays closed. Returns it as stored."""
    db[SURVEYS].update_one({"_id": survey["_id"]}, {"$setOnInsert": {"status": OPEN, "reminded_at": None},
                                                    "$set": {k: v for k, v in survey.items() if k != "_id"}},
                           upsert=True, session=session)
    return db[SURVEYS].find_one({"_id": survey["_id"]}, session=session)


def record_closed(db: Database, session: ClientSession, survey_id: str, closed_at: datetime) -> dict:
    """Mark a survey closed (known or not yet); returns it as stored."""
    db[SURVEYS].update_one({"_id": survey_id}, {"$set": {"status": CLOSED, "closed_at": closed_at}},
                           upsert=True, session=session)
    return db[SURVEYS].find_one({"_id": survey_id}, session=session)


def record_completed(db: Database, session: ClientSession, survey_id: str, member_id: str) -> None:
    db[COMPLETIONS].update_one({"_id": completion_id(survey_id, member_id)},
                               {"$setOnInsert": {"survey_id": survey_id, "member_id": member_id}},
                               upsert=True, session=session)


def forget_member(db: Database, session: ClientSession, member_id: str) -> None:
    db[COMPLETIONS].delete_many({"member_id": member_id}, session=session)


def due_reminders(db: Database, now: datetime, limit: int = 20) -> list[dict]:
    """Open surveys whose reminder is due and not sent, still before their close."""
    return list(db[SURVEYS].find({"status": OPEN, "reminder_due_at": {"$lte": now}, "reminded_at": None,
                                  "closes_at": {"$gt": now}}).limit(limit))


def claim_reminder(db: Database, session: ClientSession, survey_id: str, now: datetime, by: str) -> bool:
    """Take the survey's one reminder for this worker; False when another took it first or
    the survey closed meanwhile."""
    return db[SURVEYS].update_one({"_id": survey_id, "status": OPEN, "reminded_at": None},
                                  {"$set": {"reminded_at": now, "reminded_by": by}},
                                  session=session).modified_count == 1


def invitees_not_completed(db: Database, survey_id: str, invitation: str, page: int) -> Iterator[dict]:
    """The verified contacts invited to a survey (``INVITED``) who have not completed it, a
    page at a time: the invitation's deliveries through the fan-out index, then one lookup
    of completions and one of contacts per page (bounded memory whatever the audience)."""
    recipients: list[str] = []
    for delivery in db[DELIVERIES].find({"fanout_id": invitation, "status": {"$in": list(INVITED)}},
                                        {"recipient": 1}, batch_size=page):
        recipients.append(delivery["recipient"])
        if len(recipients) >= page:
            yield from _not_completed(db, survey_id, recipients)
            recipients = []
    yield from _not_completed(db, survey_id, recipients)


def _not_completed(db: Database, survey_id: str, recipients: list[str]) -> list[dict]:
    recipients = list(dict.fromkeys(recipients))  # an email and an SMS of one member: one member
    if not recipients:
        return []
    done = {c["member_id"] for c in db[COMPLETIONS].find(
        {"_id": {"$in": [completion_id(survey_id, m) for m in recipients]}}, {"member_id": 1})}
    left = [m for m in recipients if m not in done]
    return list(db[CONTACTS].find({"_id": {"$in": left}, "status": "verified"})) if left else []
