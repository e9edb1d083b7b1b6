"""HTTP schemas and field rules every members feature shares: problem details, the 202 answer,
names, languages and faculties. A feature's own schemas live in its package."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared import memberfilter

LANGUAGES = ("bg", "en")
FACULTIES = memberfilter.FACULTIES
# The profile's length limits, one place for its schema and for the survey questions that fill it.
NAME_MAX, SHORT_TEXT_MAX = 100, 200
PROFILE_TEXT_LIMITS = {"employer": SHORT_TEXT_MAX, "position": SHORT_TEXT_MAX, "specialty": SHORT_TEXT_MAX,
                       "city": NAME_MAX}
PROFILE_LIST_LIMITS = {"languages": 15, "interests": 20}
MAX_INTEREST = memberfilter.MAX_INTEREST  # an interest is also a segment condition
NAME = [validate.Length(min=1, max=NAME_MAX),
        # No control characters: names end up in email headers and SMS bodies.
        validate.Regexp(r"^[^\x00-\x1f\x7f]*\Z", error="Must not contain control characters or line breaks.")]
SHORT_TEXT = [validate.Length(min=1, max=SHORT_TEXT_MAX), NAME[1]]


class AcceptedSchema(Schema):
    status = fields.String(required=True, metadata={"example": "accepted"})
    detail = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details (``application/problem+json``), as every error is answered."""

    type = fields.String(required=True, metadata={"example": "https://alumnet.dev/problems/validation"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(keys=fields.String(), metadata={"description": "field name -> messages"})
    request_id = fields.String()
