"""Events the members service publishes and the schemas of their ``data``."""
from marshmallow import Schema, fields, validate

from shared.bus.envelope import EventCatalog

CATALOG = EventCatalog("members")
LANGUAGE = validate.OneOf(["bg", "en"])
CHANNELS = ["email", "sms"]
CATEGORIES = ["news", "events", "mentoring", "awards", "surveys"]


class ConsentData(Schema):
    email = fields.Boolean(required=True)
    sms = fields.Boolean(required=True)


class MemberRegisteredData(Schema):
    member_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.Email(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    preferred_language = fields.String(required=True, validate=LANGUAGE)
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


class MemberErasedData(Schema):
    """Only the id: every other service removes or anonymises what it holds about it."""

    member_id = fields.String(required=True)
    erased_at = fields.AwareDateTime(required=True)


MEMBER_ERASED = CATALOG.register("members.member.erased", MemberErasedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "erased_at": "2026-11-28T12:00:00+00:00",
})


class ConsentChangedData(Schema):
    member_id = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    granted = fields.Boolean(required=True)
    source = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(allow_none=True, load_default=None)


CONSENT_CHANGED = CATALOG.register("members.consent.changed", ConsentChangedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "channel": "email",
    "category": "events",
    "granted": False,
    "source": "unsubscribe_link",
    "at": "2026-11-28T12:00:00+00:00",
    "expires_at": None,
})


class PasswordResetRequestedData(Schema):
    """The reset token travels encrypted (Fernet, key shared by members and notifications
    only): it is never published or logged in clear."""

    member_id = fields.String(required=True)
    email = fields.Email(required=True)
    preferred_language = fields.String(required=True, validate=LANGUAGE)
    given_name = fields.String(required=True)
    encrypted_token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


PASSWORD_RESET_REQUESTED = CATALOG.register(
    "members.password_reset.requested", PasswordResetRequestedData(), example={
        "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
        "email": "maria.ivanova@example.bg",
        "preferred_language": "bg",
        "given_name": "Мария",
        "encrypted_token": "gAAAAABn...",
        "expires_at": "2026-11-28T13:00:00+00:00",
    })
