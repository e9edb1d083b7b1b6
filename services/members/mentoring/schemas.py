"""HTTP schemas of mentoring: what the routes answer (the bodies they take are the rules'
schemas: ``rules.MentorOfferSchema``, ``MentorshipRequestSchema``, ``MeetingSchema``, ...)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.members.mentoring import rules
from shared import mentoringlink
from shared.web import pagination

MAX_RECOMMENDATIONS = 20


class OfferSchema(rules.MentorOfferSchema):
    active = fields.Integer(dump_only=True, metadata={"description": "mentees in an active mentorship now"})
    pending = fields.Integer(dump_only=True, metadata={"description": "asks waiting for the mentor's answer"})
    free_places = fields.Integer(dump_only=True)
    offered = fields.Boolean(dump_only=True, metadata={"description": "not paused and with a free place"})
    updated_at = fields.AwareDateTime(dump_only=True)


class MentorCardSchema(Schema):
    id = fields.String(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    topics = fields.List(fields.String())
    specialties = fields.List(fields.String())
    languages = fields.List(fields.String())
    formats = fields.List(fields.String())
    city = fields.String(allow_none=True)
    capacity = fields.Integer()
    free_places = fields.Integer()
    offered = fields.Boolean(metadata={"description": "whether a mentee may ask them now"})


class RecommendationsQuerySchema(rules.WishesSchema):
    limit = fields.Integer(load_default=10, validate=validate.Range(1, MAX_RECOMMENDATIONS))


class FactorSchema(Schema):
    name = fields.String(required=True)
    weight = fields.Float(required=True)
    value = fields.Float(required=True, metadata={"description": "0 to 1"})
    points = fields.Float(required=True, metadata={"description": "weight x value"})


class RecommendationSchema(Schema):
    mentor_id = fields.String(required=True)
    total = fields.Float(required=True)
    factors = fields.List(fields.Nested(FactorSchema), required=True)
    mentor = fields.Nested(MentorCardSchema, required=True)


class RecommendationsSchema(Schema):
    items = fields.List(fields.Nested(RecommendationSchema), required=True)
    weights = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)


class MentorChoiceSchema(Schema):
    """One of the mentors a request names, in the mentee's order, and what became of asking them."""
    mentor_id = fields.String(required=True)
    choice = fields.Integer(required=True)
    outcome = fields.String(allow_none=True, metadata={"description": "pending, accepted, declined, expired, "
                                                                      "withdrawn, skipped; null: not asked yet"})
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)


class RequestSchema(Schema):
    """A request as its mentee sees it."""
    id = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "pending, accepted, exhausted, withdrawn"})
    choices = fields.List(fields.Nested(MentorChoiceSchema), required=True)
    message = fields.String(allow_none=True)
    asked_mentor = fields.String(allow_none=True)
    deadline = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    mentorship_id = fields.String(allow_none=True)


class AskSchema(Schema):
    """A request as an asked mentor sees it: their own ask only, never the mentee's other choices."""
    id = fields.String(required=True)
    mentee_id = fields.String(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    choice = fields.Integer()
    outcome = fields.String(metadata={"description": "pending (yours to answer), accepted, declined, expired, "
                                                     "withdrawn"})
    deadline = fields.AwareDateTime(allow_none=True)
    mentorship_id = fields.String(allow_none=True)


class MentoringDecisionInSchema(Schema):
    token = fields.String(load_default=None, allow_none=True,
                          metadata={"description": f"the one-click link's token (or header {mentoringlink.HEADER})"})


class MentoringDecisionSchema(Schema):
    ask = fields.Nested(AskSchema, required=True)
    decided = fields.String(required=True, metadata={"description": "accepted or declined"})
    already = fields.Boolean(required=True, metadata={"description": "true: decided before (a second click)"})


class MentorshipSchema(Schema):
    id = fields.String(required=True)
    request_id = fields.String()
    mentor_id = fields.String(required=True)
    mentee_id = fields.String(required=True)
    role = fields.String(metadata={"description": "the caller's side: mentor or mentee"})
    other = fields.Dict(metadata={"description": "the other side's names"})
    state = fields.String(required=True, metadata={"description": "active or ended"})
    started_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    ended_by = fields.String(allow_none=True)
    meetings = fields.Integer()
    last_meeting_on = fields.Date(allow_none=True)
    stalled = fields.Boolean(metadata={"description": f"active, no meeting for {rules.STALLED_AFTER.days} days"})
    my_feedback = fields.Dict(allow_none=True, metadata={"description": "the caller's own feedback, never the "
                                                                        "other side's"})


class LoggedMeetingSchema(Schema):
    id = fields.String(required=True)
    on = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    minutes = fields.Integer()
    topic = fields.String(allow_none=True)
    notes = fields.String(allow_none=True, metadata={"description": "seen only by the pair (in the list; "
                                                                    "not in the answer to logging one)"})
    by = fields.String()
    at = fields.AwareDateTime()


RequestPageSchema = pagination.page_schema(RequestSchema, "MentoringRequestPage")
AskPageSchema = pagination.page_schema(AskSchema, "MentoringAskPage")
MentorshipPageSchema = pagination.page_schema(MentorshipSchema, "MentorshipPage")
MeetingPageSchema = pagination.page_schema(LoggedMeetingSchema, "MentoringMeetingPage")
