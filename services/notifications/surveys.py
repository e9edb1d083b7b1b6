"""Survey invitations and the one reminder (issue 13), as the members events tell them.

- ``members.survey.opened``: the survey is stored (what its emails say) and its audience gets
  the ``survey_invitation`` fan-out (``catalogue``: category ``surveys``, marketing, email
  only, spread from ``opens_at`` on). Each email holds the member's personal link, made when
  the message is built (``handlers.context_for_sending``).
- ``members.survey.completed``: the member is remembered as done (and a reminder still
  waiting for them is skipped).
- ``members.survey.closed``: no reminder, and what still waits of the invitation and the
  reminder is skipped.
- The reminder: once, at ``closes_at - min(lead, half the open period)`` (lead: setting
  ``SURVEY_REMINDER_LEAD_S``, default three days), to the members who were invited
  (``surveys_store.INVITED``) and have not completed, as the ``survey_reminder`` fan-out. A
  worker timer (``SurveyReminders``) claims it by a conditional update in the transaction
  that stores the fan-out, so two worker copies never both send it; the fan-out's id is the
  survey's besides.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from services.notifications import store as notification_store
from services.notifications import surveys_store
from services.notifications.store import NotificationsStore
from shared import clock as clocks
from shared.bus.consumer import HandlerContext
from shared.bus.envelope import Envelope
from shared.leases import holder_id

log = logging.getLogger(__name__)

OPENED = "members.survey.opened"
INVITATION, REMINDER = "survey_invitation", "survey_reminder"
CATEGORY = "surveys"
DEFAULT_REMINDER_LEAD = timedelta(days=3)
# What the emails of a survey say, from the opened event's data (the fan-outs' ``data``).
EMAIL_FIELDS = ("survey_id", "title", "description", "opens_at", "closes_at", "anonymous", "questions")


def reminder_due_at(opens_at: datetime, closes_at: datetime, lead: timedelta = DEFAULT_REMINDER_LEAD) -> datetime:
    """When the reminder goes: ``lead`` before the close, or halfway through a shorter survey
    (a reminder before half the time is up would come too soon after the invitation)."""
    return closes_at - min(lead, (closes_at - opens_at) / 2)


def reminder_fanout_id(survey_id: str) -> str:
    return f"survey-reminder:{survey_id}"


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def on_opened(event: Envelope, ctx: HandlerContext, lead: timedelta = DEFAULT_REMINDER_LEAD) -> None:
    """Store the survey (the invitation's fan-out is the catalogue's, stored after this). An
    opening that arrives after its survey's close invites nobody: the fan-out is stored
    cancelled first, under the id the catalogue's would take, so that one adds nothing."""
    data = event.data
    opens_at, closes_at = _time(data["opens_at"]), _time(data["closes_at"])
    survey = surveys_store.record_opened(ctx.db, ctx.session, {
        "_id": data["survey_id"], "title": data["title"], "description": data.get("description"),
        "opens_at": opens_at, "closes_at": closes_at, "anonymous": data["anonymous"],
        "questions": data["questions"], "invitation": event.id,
        "reminder_due_at": reminder_due_at(opens_at, closes_at, lead)})
    if survey["status"] == surveys_store.CLOSED:
        notification_store.create_fanout(ctx.db, ctx.session, {
            "_id": event.id, "kind": "event", "event_type": event.type, "status": "cancelled",
            "cancelled_by": "survey closed", "created_at": clocks.now()})


def on_completed(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    if not notification_store.holds(ctx.db, ctx.session, data["member_id"]):
        return  # a late copy: an erased member leaves no trace here
    surveys_store.record_completed(ctx.db, ctx.session, data["survey_id"], data["member_id"])
    ctx.db[notification_store.DELIVERIES].update_many(
        {"fanout_id": reminder_fanout_id(data["survey_id"]), "recipient": data["member_id"],
         "status": {"$in": [notification_store.QUEUED, notification_store.HELD]}},
        {"$set": {"status": notification_store.SKIPPED, "skipped_at": clocks.now(), "reason": "survey completed"}},
        session=ctx.session)


def on_closed(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    survey = surveys_store.record_closed(ctx.db, ctx.session, data["survey_id"], _time(data["closed_at"]))
    for fanout_id in (survey.get("invitation"), reminder_fanout_id(data["survey_id"])):
        if fanout_id:
            notification_store.cancel_fanout(ctx.db, ctx.session, fanout_id, "survey closed", reason="survey closed")


def on_member_erased(event: Envelope, ctx: HandlerContext) -> None:
    surveys_store.forget_member(ctx.db, ctx.session, event.data["member_id"])


def email_data(survey: dict) -> dict:
    """A stored survey as the opened event gave it: what the emails' context is made from."""
    return {"survey_id": survey["_id"], "title": survey["title"], "description": survey.get("description"),
            "opens_at": survey["opens_at"].isoformat(), "closes_at": survey["closes_at"].isoformat(),
            "anonymous": survey["anonymous"], "questions": survey["questions"]}


class SurveyReminders:
    """The worker's timer: creates the reminder fan-out of each survey whose reminder is due."""

    def __init__(self, store: NotificationsStore, clock: Callable[[], datetime] = clocks.now,
                 wake_fanout: Callable[[], None] | None = None):
        self.store, self.clock = store, clock
        self.wake_fanout = wake_fanout or (lambda: None)
        self.worker_id = holder_id()

    def run_due(self) -> int:
        """Create every due reminder's fan-out; return how many this worker created."""
        now = self.clock()
        created = 0
        for survey in surveys_store.due_reminders(self.store.db, now):
            invitation = self.store.fanout(survey["invitation"])
            if invitation is None or invitation["status"] == "spreading":
                continue  # the invitations are not all out yet: the reminder waits for them
            created += self.store.transaction(lambda session: self._remind(session, survey, now))
        if created:
            self.wake_fanout()
        return created

    def _remind(self, session, survey: dict, now: datetime) -> int:
        if not surveys_store.claim_reminder(self.store.db, session, survey["_id"], now, self.worker_id):
            return 0
        created = notification_store.create_fanout(self.store.db, session, {
            "_id": reminder_fanout_id(survey["_id"]), "kind": "survey_reminder", "event_type": OPENED,
            "data": email_data(survey), "template": REMINDER, "category": CATEGORY, "channels": ["email"],
            "audience": {"kind": "survey_invitees", "survey_id": survey["_id"], "invitation": survey["invitation"]},
            "correlation_id": None, "status": "spreading", "created_at": now, "lease_until": None})
        log.info("survey %s: reminder fan-out created", survey["_id"])
        return int(created)
