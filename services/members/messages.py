"""Events the members service publishes and the schemas of their ``data``."""
from marshmallow import Schema, fields, validate

from shared.bus.envelope import EventCatalog

CATALOG = EventCatalog("members")


class ConsentData(Schema):
    email = fields.Boolean(required=True)
    sms = fields.Boolean(required=True)


class MemberRegisteredData(Schema):
    member_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.Email(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    preferred_language = fields.String(required=True, validate=validate.OneOf(["bg", "en"]))
    graduation_year = fields.Integer(allow_none=True, load_default=None)
    faculty = fields.String(allow_none=True, load_default=None)
    programme = fields.String(allow_none=True, load_default=None)
    consent = fields.Nested(ConsentData, required=True)
    registered_at = fields.AwareDateTime(required=True)


MEMBER_REGISTERED = CATALOG.register("members.member.registered", MemberRegisteredData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "given_name": "Мария",
    "family_name": "Иванова",
    "email": "maria.ivanova@example.bg",
    "phone": "+359888123456",
    "preferred_language": "bg",
    "graduation_year": 2015,
    "faculty": "medicine",
    "programme": "Medicine (Bulgarian-taught)",
    "consent": {"email": True, "sms": False},
    "registered_at": "2026-11-28T10:15:00+00:00",
})
