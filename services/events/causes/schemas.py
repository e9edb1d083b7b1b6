"""HTTP schemas of causes: what the office sends to draft one, what members send to join,
what an owner sends to confirm hours, and what every list and view answers.

Times without an offset are read in Sofia time (the club's), as events' are.
"""
from __future__ import annotations

import uuid

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.events.causes import rules
from services.events.schemas import (
    DEFAULT_TIMEZONE,
    TEXT,
    BilingualLine,
    BilingualText,
    NoSuchTime,
    PlaceSchema,
    localise,
)
from shared.memberview import AudienceSchema
from shared.web.pagination import page_query_schema, page_schema

MAX_ROLES = 20
NOTE = [validate.Length(max=1000), *TEXT]
# The owner a cause names: a member id (hex, as the members service makes them).
MEMBER_ID = validate.Regexp(r"^[0-9a-f]{32}\Z", error="Not a member id.")


class SofiaDateTime(fields.DateTime):
    """An ISO 8601 time; without an offset it is Sofia time (refused in the hour the clocks
    skip; the first pass of one they repeat). Loaded as aware UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return localise(super()._deserialize(value, attr, data, **kwargs), DEFAULT_TIMEZONE)
        except NoSuchTime as error:
            raise ValidationError(str(error)) from None


class RoleInSchema(Schema):
    role_id = fields.String(validate=validate.Regexp(rules.ROLE_ID, error="Lower-case letters, digits, - and _ "
                                                                          "(at most 40)."),
                            metadata={"description": "default: made up; give one to refer to it (e.g. `guide`)"})
    title = fields.Nested(BilingualLine, required=True)
    what_to_bring = fields.Nested(BilingualText, allow_none=True, load_default=None,
                                  metadata={"description": "what volunteers need to know and bring"})
    slots = fields.Integer(required=True, validate=validate.Range(min=1, max=rules.MAX_SLOTS),
                           metadata={"description": "volunteers wanted; for a collection, the quantity wanted"})
    when = SofiaDateTime(format="iso", allow_none=True, load_default=None)
    place = fields.Nested(PlaceSchema, allow_none=True, load_default=None)


class GoalInSchema(Schema):
    target = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=1e12))
    unit = fields.Nested(BilingualLine, required=True, metadata={"description": "e.g. лв./BGN, подписа/signatures"})


class CauseFieldsSchema(Schema):
    title = fields.Nested(BilingualLine)
    description = fields.Nested(BilingualText)
    audience = fields.Nested(AudienceSchema)
    deadline = SofiaDateTime(format="iso", metadata={"description": "joining closes then", "example": "2027-03-20T23:59"})
    owner_id = fields.String(validate=MEMBER_ID, metadata={"description": "the member who runs it (default: "
                                                                          "the admin who creates it)"})
    roles = fields.List(fields.Nested(RoleInSchema), validate=validate.Length(max=MAX_ROLES),
                        metadata={"description": "volunteering: the roles; collection: the items wanted; "
                                                 "campaign: none"})
    goal = fields.Nested(GoalInSchema, allow_none=True, metadata={"description": "a campaign's goal; else null"})
    donation_url = fields.Url(allow_none=True, schemes={"https"}, validate=validate.Length(max=500),
                              metadata={"description": "the university's own donation page (we take no payments)"})

    @post_load
    def _role_ids(self, data: dict, **_) -> dict:
        for role in data.get("roles") or []:
            role.setdefault("role_id", uuid.uuid4().hex[:8])
        return data


class CauseCreateSchema(CauseFieldsSchema):
    kind = fields.String(required=True, validate=validate.OneOf(rules.KINDS))
    title = fields.Nested(BilingualLine, required=True)
    deadline = SofiaDateTime(format="iso", required=True, metadata={"example": "2027-03-20T23:59"})


class CauseUpdateSchema(CauseFieldsSchema):
    """Only the fields sent change; a published cause's roles are fixed."""


class JoinSchema(Schema):
    quantity = fields.Integer(allow_none=True, load_default=None,
                              validate=validate.Range(min=1, max=rules.MAX_SLOTS),
                              metadata={"description": "collections: how many you bring (at most what is still "
                                                       "wanted); none for a volunteering role"})
    note = fields.String(allow_none=True, load_default=None, validate=NOTE,
                         metadata={"description": "for the owner"})


class HoursSchema(Schema):
    hours = fields.Float(required=True, validate=validate.Range(min=rules.MIN_HOURS, max=rules.MAX_HOURS))
    on = fields.Date(required=True, metadata={"description": "the day they were given (not a day to come)"})
    note = fields.String(allow_none=True, load_default=None, validate=NOTE)


class ProgressSchema(Schema):
    current = fields.Float(required=True, validate=validate.Range(min=0, max=1e12),
                           metadata={"description": "what the campaign has reached, in its unit"})


class CauseListQuerySchema(page_query_schema(name="CauseListQueryBase")):
    status = fields.String(validate=validate.OneOf(rules.STATUSES),
                           metadata={"description": "admins: any; members: published or closed"})
    kind = fields.List(fields.String(validate=validate.OneOf(rules.KINDS)), validate=validate.Length(max=3))


class VolunteersQuerySchema(page_query_schema(name="VolunteersQueryBase", maximum=100)):
    status = fields.String(validate=validate.OneOf(rules.VOLUNTEER_STATUSES),
                           metadata={"description": "default: joined and waiting"})
    role_id = fields.String(validate=validate.Length(max=40))


# --------------------------------------------------------------------------- answers

class RoleSchema(Schema):
    role_id = fields.String(required=True)
    title = fields.Nested(BilingualLine)
    what_to_bring = fields.Nested(BilingualText, allow_none=True)
    slots = fields.Integer()
    when = fields.AwareDateTime(allow_none=True)
    place = fields.Nested(PlaceSchema, allow_none=True)
    filled = fields.Integer(metadata={"description": "slots taken by joined volunteers (pledged quantity)"})
    slots_left = fields.Integer()
    waiting = fields.Integer(metadata={"description": "requests waiting for a slot"})


class GoalSchema(Schema):
    target = fields.Float()
    unit = fields.Nested(BilingualLine)
    current = fields.Float()


class ProgressOutSchema(Schema):
    kind = fields.String()
    done = fields.Float(metadata={"description": "joined volunteers, pledged quantity, or the campaign's current"})
    target = fields.Float()
    percent = fields.Integer(metadata={"description": "0 to 100, rounded down"})


class VolunteerSchema(Schema):
    volunteer_id = fields.String(required=True)
    cause_id = fields.String()
    role_id = fields.String()
    member_id = fields.String(allow_none=True, metadata={"description": "null once the member was erased"})
    given_name = fields.String(allow_none=True, metadata={"description": "the owner's and admins' list only"})
    family_name = fields.String(allow_none=True, metadata={"description": "the owner's and admins' list only"})
    status = fields.String(metadata={"description": "joined, waitlisted or left"})
    position = fields.Integer(allow_none=True, metadata={"description": "waitlisted: place in the queue, 1 is next"})
    quantity = fields.Integer(allow_none=True, metadata={"description": "collections: the quantity pledged"})
    note = fields.String(allow_none=True)
    hours_total = fields.Float()
    requested_at = fields.AwareDateTime()
    joined_at = fields.AwareDateTime(allow_none=True)
    promoted_at = fields.AwareDateTime(allow_none=True, metadata={"description": "when it left the waitlist"})
    left_at = fields.AwareDateTime(allow_none=True)
    left_reason = fields.String(allow_none=True, metadata={"description": "member, admin, cause_closed or erased"})


class CauseSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String()
    status = fields.String(metadata={"description": "draft, published or closed"})
    title = fields.Nested(BilingualLine)
    description = fields.Nested(BilingualText)
    audience = fields.Nested(AudienceSchema)
    deadline = fields.AwareDateTime()
    joining_open = fields.Boolean(metadata={"description": "members may join now"})
    owner_id = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(RoleSchema))
    goal = fields.Nested(GoalSchema, allow_none=True)
    donation_url = fields.String(allow_none=True)
    progress = fields.Nested(ProgressOutSchema)
    hours_total = fields.Float(metadata={"description": "hours confirmed so far"})
    fits_me = fields.Boolean(metadata={"description": "the caller is in the audience"})
    mine = fields.List(fields.Nested(VolunteerSchema),
                       metadata={"description": "the caller's joined and waiting requests"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


class HoursRecordSchema(Schema):
    volunteer_id = fields.String(required=True)
    cause_id = fields.String()
    role_id = fields.String()
    member_id = fields.String(allow_none=True)
    hours = fields.Float()
    on = fields.Date()
    note = fields.String(allow_none=True)
    confirmed_by = fields.String()
    confirmed_at = fields.AwareDateTime()


CausePageSchema = page_schema(CauseSchema, "CausePage")
VolunteerPageSchema = page_schema(VolunteerSchema, "VolunteerPage")
