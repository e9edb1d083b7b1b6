"""HTTP schemas of ambassadors: the queries the lists take and what the routes answer (the
bodies they take are the rules' schemas: ``rules.ApplicationSchema``, ``QuestionSchema``, ...)."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields, validate

from services.members.ambassadors import rules
from shared import decisionlink
from shared.memberfilter import CountryCode
from shared.web import pagination

FINDER_PAGE = 24


class ApplicationsQuerySchema(pagination.PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(rules.APPLICATION_STATUSES))


class RosterQuerySchema(pagination.PageQuerySchema):
    country = CountryCode(load_default=None)
    active = fields.Boolean(load_default=None, metadata={"description": "in their term today (or not)"})


class FinderQuerySchema(Schema):
    country = CountryCode(load_default=None, metadata={"description": "ISO 3166-1 alpha-2, e.g. IN"})
    language = fields.String(load_default=None, validate=rules.LANGUAGE, metadata={"description": "e.g. en"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=pagination.MAX_PAGE))
    per_page = fields.Integer(load_default=FINDER_PAGE, validate=validate.Range(min=1, max=FINDER_PAGE))


class ContactsQuerySchema(pagination.PageQuerySchema):
    state = fields.String(load_default=rules.OPEN, validate=validate.OneOf([*rules.CONTACT_STATES, "all"]))


# The days a report may name: far enough for any record, near enough that a day's bounds in
# Sofia time stay within what a datetime holds (0001-01-01 less a time zone does not).
REPORT_DAYS = validate.Range(min=date(1990, 1, 1), max=date(2200, 12, 31))


class AmbassadorReportQuerySchema(Schema):
    starts = fields.Date(data_key="from", load_default=None, validate=REPORT_DAYS,
                         metadata={"description": "first day (default: a year before `to`)"})
    ends = fields.Date(data_key="to", load_default=None, validate=REPORT_DAYS,
                       metadata={"description": "last day (default: today)"})


class RegionOutSchema(Schema):
    country = fields.String(required=True)
    cities = fields.List(fields.String(), required=True)


class BioOutSchema(Schema):
    bg = fields.String(allow_none=True)
    en = fields.String(allow_none=True)


class ApplicationOutSchema(Schema):
    application_id = fields.String(required=True)
    id = fields.String(required=True, metadata={"description": "= `application_id` (older callers)"})
    member_id = fields.String(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"description": ", ".join(rules.APPLICATION_STATUSES)})
    motivation = fields.String()
    countries = fields.List(fields.String())
    cities = fields.List(fields.String())
    languages = fields.List(fields.String())
    faculty = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "why it was declined"})


class AmbassadorOutSchema(Schema):
    member_id = fields.String(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    public_id = fields.String(required=True)
    regions = fields.List(fields.Nested(RegionOutSchema))
    languages = fields.List(fields.String())
    term_starts = fields.Date()
    term_ends = fields.Date(metadata={"description": "the last day"})
    ended_at = fields.AwareDateTime(allow_none=True, metadata={"description": "ended early by the office"})
    active = fields.Boolean(metadata={"description": "in their term today"})
    listed = fields.Boolean(metadata={"description": "shown in the public finder (while active)"})
    public_fields = fields.List(fields.String())
    bio = fields.Nested(BioOutSchema, allow_none=True)
    appointed_at = fields.AwareDateTime()


class MyAmbassadorSchema(Schema):
    application = fields.Nested(ApplicationOutSchema, allow_none=True, metadata={"description": "the latest"})
    ambassador = fields.Nested(AmbassadorOutSchema, allow_none=True)


class FinderCardSchema(Schema):
    """A listed ambassador as anyone sees them: only what they made public."""

    public_id = fields.String(required=True)
    regions = fields.List(fields.Nested(RegionOutSchema), required=True,
                          metadata={"description": "cities only when they made `regions` public"})
    languages = fields.List(fields.String(), required=True, metadata={"description": "they answer in these"})
    given_name = fields.String()
    family_name = fields.String()
    faculty = fields.String()
    programme = fields.String()
    graduation_year = fields.Integer()
    city = fields.String()
    country = fields.String()
    spoken_languages = fields.List(fields.String(), metadata={"description": "the profile's, with `languages` public"})
    bio = fields.Nested(BioOutSchema)


class StatusSchema(Schema):
    status = fields.String(required=True)


class ReplyOutSchema(Schema):
    via = fields.String()
    message = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    on = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD (logged)"})
    note = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class ContactOutSchema(Schema):
    """A contact as its ambassador and the office see it: the contact's address is never shown
    (replies go through our email)."""

    contact_id = fields.String(required=True)
    id = fields.String(required=True, metadata={"description": "= `contact_id` (older callers)"})
    member_id = fields.String(required=True)
    source = fields.String(metadata={"description": "finder or office"})
    kind = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "null once the asker's data was erased"})
    language = fields.String()
    country = fields.String()
    message = fields.String(allow_none=True, metadata={"description": "the question, or the office's note"})
    has_email = fields.Boolean(metadata={"description": "a reply is emailed to them"})
    state = fields.String(metadata={"description": "open, replied (closed: the ambassador was erased)"})
    assigned_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    overdue = fields.Boolean()
    replied_at = fields.AwareDateTime(allow_none=True, metadata={"description": "the first reply"})
    via = fields.String(allow_none=True)
    within_target = fields.Boolean(allow_none=True)
    replies = fields.List(fields.Nested(ReplyOutSchema))


class ActivityPlaceOutSchema(Schema):
    name = fields.String()
    city = fields.String(allow_none=True)
    country = fields.String()


class ActivityOutSchema(Schema):
    activity_id = fields.String(required=True)
    id = fields.String(required=True, metadata={"description": "= `activity_id` (older callers)"})
    member_id = fields.String(required=True)
    kind = fields.String()
    on = fields.String(metadata={"description": "YYYY-MM-DD"})
    place = fields.Nested(ActivityPlaceOutSchema)
    people_reached = fields.Integer()
    note = fields.String(allow_none=True)
    logged_at = fields.AwareDateTime()


class AmbassadorReportRowSchema(Schema):
    member_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    country = fields.String(required=True)
    contacts = fields.Integer()
    replied = fields.Integer()
    replied_within_target = fields.Integer()
    median_reply_hours = fields.Float(allow_none=True)
    activities = fields.Dict(keys=fields.String(), values=fields.Integer(),
                             metadata={"description": f"per kind: {', '.join(rules.ACTIVITY_KINDS)}"})
    people_reached = fields.Integer()


class AmbassadorReportSchema(Schema):
    starts = fields.Date(data_key="from")
    ends = fields.Date(data_key="to")
    rows = fields.List(fields.Nested(AmbassadorReportRowSchema))


QUESTION_TOKEN_HEADER = decisionlink.ASKER_CONFIRMATION.header
ApplicationPageSchema = pagination.page_schema(ApplicationOutSchema, "AmbassadorApplicationPage")
RosterPageSchema = pagination.page_schema(AmbassadorOutSchema, "AmbassadorRosterPage")
FinderPageSchema = pagination.page_schema(FinderCardSchema, "AmbassadorFinderPage")
ContactPageSchema = pagination.page_schema(ContactOutSchema, "AmbassadorContactPage")
ActivityPageSchema = pagination.page_schema(ActivityOutSchema, "AmbassadorActivityPage")
