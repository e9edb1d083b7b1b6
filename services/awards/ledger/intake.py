"""What the ledger expects of each source event it credits: marshmallow schemas of only the
fields ``rules.py`` reads (member, time, units, condition, source ids), one per event type of
the rules table, and the handler that records them (``store.record``).

The handler only buffers an event's rows: the consumer handles a batch of events in one
transaction, and the batch's rows are recorded together when every handler has run
(``HandlerContext.before_commit``), in a few bulk commands instead of a few commands per
event. An erasure in the same batch (``forget``) first records what is buffered, then keeps
the member's later events of the batch out.

A type in the rules table without an expectation here fails ``test_every_rule_has_an_expectation``:
a new source is one rule, one expectation and one test.
"""
from __future__ import annotations

from marshmallow import fields

from services.awards.ledger import rules
from services.awards.ledger import store as ledger_store
from shared import clock
from shared.bus.consumer import HandlerContext, Subscription
from shared.bus.envelope import Envelope
from shared.memberview import Expectation


class CheckedIn(Expectation):
    event_id = fields.String(required=True)
    registration_id = fields.String(required=True)
    member_id = fields.String(required=True)
    checked_in_at = fields.AwareDateTime(required=True)


class SurveyCompleted(Expectation):
    survey_id = fields.String(required=True)
    member_id = fields.String(required=True)
    completed_at = fields.AwareDateTime(required=True)


class VolunteerJoined(Expectation):
    cause_id = fields.String(required=True)
    volunteer_id = fields.String(required=True)
    member_id = fields.String(required=True)
    status = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class HoursConfirmed(Expectation):
    cause_id = fields.String(required=True)
    volunteer_id = fields.String(required=True)
    member_id = fields.String(required=True)
    hours = fields.Float(required=True)
    on = fields.Date(required=True)


class MentorshipAccepted(Expectation):
    mentorship_id = fields.String(required=True)
    mentor_id = fields.String(required=True)
    accepted_at = fields.AwareDateTime(required=True)


class MeetingLogged(Expectation):
    mentorship_id = fields.String(required=True)
    meeting_id = fields.String(required=True)
    mentor_id = fields.String(required=True)
    logged_at = fields.AwareDateTime(required=True)


class MentorshipEnded(Expectation):
    mentorship_id = fields.String(required=True)
    mentor_id = fields.String(required=True)
    reason = fields.String(required=True)
    meetings = fields.Integer(required=True)
    ended_at = fields.AwareDateTime(required=True)


class ActivityLogged(Expectation):
    activity_id = fields.String(required=True)
    member_id = fields.String(required=True)
    logged_at = fields.AwareDateTime(required=True)


class ContactReplied(Expectation):
    contact_id = fields.String(required=True)
    member_id = fields.String(required=True)
    first = fields.Boolean(required=True)
    within_target = fields.Boolean(required=True)
    replied_at = fields.AwareDateTime(required=True)


EXPECTATIONS = {
    rules.CHECKED_IN: CheckedIn, rules.SURVEY_COMPLETED: SurveyCompleted, rules.VOLUNTEER_JOINED: VolunteerJoined,
    rules.HOURS_CONFIRMED: HoursConfirmed, rules.MENTORSHIP_ACCEPTED: MentorshipAccepted,
    rules.MEETING_LOGGED: MeetingLogged, rules.MENTORSHIP_ENDED: MentorshipEnded,
    rules.ACTIVITY_LOGGED: ActivityLogged, rules.CONTACT_REPLIED: ContactReplied,
}


class _Batch:
    """The rows of one transaction's activity events, recorded before it commits."""

    def __init__(self, ctx: HandlerContext):
        self.db, self.session = ctx.db, ctx.session
        self.rows: dict[str, dict] = {}
        self.forgotten: set[str] = set()  # members erased earlier in this transaction

    @classmethod
    def of(cls, ctx: HandlerContext) -> "_Batch":
        for hook in ctx.before_commit:
            if isinstance(hook, cls):
                return hook
        batch = cls(ctx)
        ctx.before_commit.append(batch)
        return batch

    def __call__(self) -> None:
        rows, self.rows = list(self.rows.items()), {}
        ledger_store.record(self.db, self.session, rows, self.forgotten)


def on_activity(event: Envelope, ctx: HandlerContext) -> None:
    _Batch.of(ctx).rows.update(ledger_store.rows_of(event.id, event.type, event.data, clock.now()))


def forget(ctx: HandlerContext, member_id: str) -> None:
    """Erasure, in the consumer's transaction: the rows buffered so far are recorded first
    (so that they are anonymised with the others), the member's later events in this batch
    credit nothing, and this process's view knows of the tombstone once it commits."""
    batch = _Batch.of(ctx)
    batch()
    batch.forgotten.add(member_id)
    ledger_store.forget_member(ctx.db, ctx.session, member_id)
    ctx.after_commit.append(lambda: ledger_store.VIEWS.forgotten(ctx.db, member_id))


def subscriptions() -> list[Subscription]:
    """One subscription per event type any rules version credits."""
    return [Subscription(event_type, EXPECTATIONS[event_type](), on_activity) for event_type in rules.event_types()]
