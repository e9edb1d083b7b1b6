"""What the ledger expects of each source event it credits: marshmallow schemas of only the
fields ``rules.py`` reads (member, time, units, condition, source ids), one per event type of
the rules table, and the handler that records them (``store.record``).

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


def on_activity(event: Envelope, ctx: HandlerContext) -> None:
    ledger_store.record(ctx.db, ctx.session, event.id, event.type, event.data, clock.now())


def subscriptions() -> list[Subscription]:
    """One subscription per event type any rules version credits."""
    return [Subscription(event_type, EXPECTATIONS[event_type](), on_activity) for event_type in rules.event_types()]
