"""HTTP schemas of the notifications API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.notifications.routing import CATEGORIES, CHOICES, MARKETING_CATEGORIES
from shared import clock
from shared.memberview import AudienceSchema
from shared.web.pagination import page_query_schema, page_schema

STATUSES = ("queued", "sending", "sent", "failed", "unknown", "skipped", "held", "digested")
CHANNELS = ("email", "sms")
CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z"


class DeliveryQuerySchema(page_query_schema(default=50)):
    recipient = fields.String(metadata={"description": "member id; members may only ask for their own"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    template = fields.String(validate=validate.Length(max=64))
    event_id = fields.String(validate=validate.Length(max=80),
                             metadata={"description": "the source: an event id, an announcement id"})
    announcement_id = fields.String(validate=validate.Length(max=80))
    since = fields.AwareDateTime(metadata={"description": "queued at or after"})
    until = fields.AwareDateTime(metadata={"description": "queued before"})


class DeliverySchema(Schema):
    id = fields.String(attribute="_id")
    event_id = fields.String()
    announcement_id = fields.String(attribute="fanout_id", allow_none=True)
    recipient = fields.String()
    channel = fields.String()
    template = fields.String()
    category = fields.String(allow_none=True)
    language = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True, metadata={"description": "why it was skipped or failed"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    provider = fields.String(allow_none=True)
    queued_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(allow_none=True, metadata={"description": "not sent before (quiet hours, retry)"})
    sent_at = fields.AwareDateTime(allow_none=True)
    failed_at = fields.AwareDateTime(allow_none=True)
    anonymised_at = fields.AwareDateTime(allow_none=True, metadata={"description": "the recipient was erased"})


DeliveryPageSchema = page_schema(DeliverySchema, "DeliveryPage")


class QuietHoursSchema(Schema):
    start = fields.String(required=True, validate=validate.Regexp(CLOCK, error="HH:MM, 00:00-23:59."))
    end = fields.String(required=True, validate=validate.Regexp(CLOCK, error="HH:MM, 00:00-23:59."))


class PreferencesSchema(Schema):
    """What a member chose: a channel per category, quiet hours for SMS and the digest hour."""

    channels = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=fields.String(validate=validate.OneOf(CHOICES)), load_default=dict,
        metadata={"description": "category -> email, sms, email_and_sms, digest or none (default email). "
                                 "Messages about your own account and registrations always reach you."})
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True, load_default=lambda: {"start": "22:00",
                                                                                        "end": "08:00"},
                                metadata={"description": "no SMS between these local times (null: none)"})
    timezone = fields.String(load_default="Europe/Sofia")
    digest_hour = fields.Integer(load_default=8, validate=validate.Range(0, 23))
    updated_at = fields.AwareDateTime(dump_only=True)

    @validates("timezone")
    def _zone(self, value: str, **_) -> None:
        if not clock.is_timezone(value):
            raise ValidationError("Not an IANA time zone, e.g. Europe/Sofia.")

    @validates("channels")
    def _account(self, value: dict, **_) -> None:
        if value.get("account") in ("none", "digest"):
            raise ValidationError("Account messages cannot be switched off or held for a digest.")


class Bilingual(Schema):
    bg = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    en = fields.String(required=True, validate=validate.Length(min=1, max=20000))


class BilingualSubject(Schema):
    bg = fields.String(required=True, validate=validate.Length(min=1, max=200))
    en = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AnnouncementCreateSchema(Schema):
    subject = fields.Nested(BilingualSubject, required=True)
    body = fields.Nested(Bilingual, required=True, metadata={"description": "plain text; blank lines split paragraphs"})
    audience = fields.Nested(AudienceSchema, load_default=lambda: {"kind": "all"})
    category = fields.String(load_default="news", validate=validate.OneOf(MARKETING_CATEGORIES),
                             metadata={"description": "the consent it needs; members can unsubscribe from it"})
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), load_default=lambda: ["email"],
                           validate=validate.Length(min=1),
                           metadata={"description": "sms too: members who chose SMS for the category get "
                                                    "the subject by SMS (cut to fit), pointing to the email"})


class ProgressSchema(Schema):
    queued = fields.Integer()
    sending = fields.Integer()
    sent = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()
    held = fields.Integer(metadata={"description": "waiting for members' daily digests"})
    digested = fields.Integer()
    unknown = fields.Integer(metadata={"description": "a worker stopped while sending: not sent again"})


class AnnouncementSchema(Schema):
    id = fields.String(attribute="_id")
    subject = fields.Nested(BilingualSubject)
    body = fields.Nested(Bilingual)
    audience = fields.Dict()
    category = fields.String()
    channels = fields.List(fields.String())
    status = fields.String(metadata={"description": "spreading (queueing recipients), spread or cancelled"})
    audience_size = fields.Integer(allow_none=True)
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    cancelled_at = fields.AwareDateTime(allow_none=True)
    progress = fields.Nested(ProgressSchema)


AnnouncementPageSchema = page_schema(AnnouncementSchema, "AnnouncementPage")
AnnouncementQuerySchema = page_query_schema(default=20, name="AnnouncementQuery")
