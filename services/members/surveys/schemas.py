"""HTTP schemas of surveys: the definition as the office writes it (``rules.SurveySchema``) and
reads it back, the list, a member's response and the profile changes it proposes."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.members.surveys import rules
from services.members.surveys.store import STATUSES
from shared.web.pagination import page_query_schema, page_schema

ANSWERS_DESCRIPTION = ("`{question_id: value}`; by kind: choice `{\"choices\": [choice ids], \"other\": text}`, "
                       "scale and number a number, text a string, date `YYYY-MM-DD`, country `BG`, yes_no a boolean")
MY_STATUSES = ("new", "draft", "submitted")


class SurveyOutSchema(rules.SurveySchema):
    """A survey as stored. Members see its definition only (no audience size or counts)."""

    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": ", ".join(STATUSES)})
    audience = fields.Nested(rules.AudienceSchema)
    created_by = fields.String(metadata={"description": "the admin who made it"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    opened_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True, metadata={"description": "closed early by an admin"})
    audience_size = fields.Integer(allow_none=True, metadata={
        "description": "verified members matching the audience when it was opened"})
    respondents = fields.Integer(metadata={"description": "submitted responses"})
    version = fields.Integer(metadata={"description": "grows with every change"})


SurveyPageSchema = page_schema(SurveyOutSchema, "SurveyPage")


class SurveyListQuerySchema(page_query_schema(name="SurveyListQueryBase")):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "only this status"})


class MySurveySchema(Schema):
    id = fields.String(required=True)
    title = fields.Nested(rules.BilingualSchema, required=True)
    description = fields.Nested(rules.BilingualSchema, allow_none=True)
    closes_at = fields.AwareDateTime(required=True)
    anonymous = fields.Boolean(required=True)
    questions = fields.Integer(required=True, metadata={"description": "how many questions"})
    my_status = fields.String(required=True, metadata={"description": ", ".join(MY_STATUSES)})


class MySurveysSchema(Schema):
    items = fields.List(fields.Nested(MySurveySchema), required=True)


class AnswersInSchema(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True,
                          metadata={"description": ANSWERS_DESCRIPTION})


class SubmitInSchema(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), metadata={
        "description": ANSWERS_DESCRIPTION + ". Without it, the saved draft is submitted."})


class ResponseSchema(Schema):
    status = fields.String(required=True, metadata={"description": ", ".join(MY_STATUSES)})
    answers = fields.Dict(required=True, metadata={"description": "empty for a submitted anonymous response"})
    saved_at = fields.AwareDateTime(allow_none=True)
    submitted_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "an anonymous response: the day only (midnight UTC)"})
    editable = fields.Boolean(required=True, metadata={
        "description": "whether saving or submitting again is possible now"})


class ProposalSchema(Schema):
    field = fields.String(required=True, metadata={"description": "the profile field"})
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)
    question = fields.String(metadata={"description": "the question whose answer proposes it"})
    state = fields.String(metadata={"description": "pending, accepted or declined"})


class SubmittedSchema(Schema):
    status = fields.String(required=True, metadata={"description": "always submitted"})
    submitted_at = fields.AwareDateTime(required=True)
    proposals = fields.List(fields.Nested(ProposalSchema), required=True, metadata={
        "description": "profile changes the answers propose (named surveys); the member accepts or declines each"})


class ProposalsSchema(Schema):
    proposals = fields.List(fields.Nested(ProposalSchema), required=True)


class DecisionsInSchema(Schema):
    decisions = fields.Dict(keys=fields.String(validate=validate.OneOf(rules.MAPPABLE)),
                            values=fields.String(validate=validate.OneOf(("accept", "decline"))),
                            required=True, validate=validate.Length(min=1),
                            metadata={"description": "`{field: \"accept\" | \"decline\"}` for pending proposals"})


class DecidedSchema(ProposalsSchema):
    profile_changed = fields.List(fields.String(), required=True, metadata={
        "description": "the profile fields the accepted proposals changed"})
