"""HTTP schemas of the notifications API."""
from marshmallow import Schema, fields, validate

STATUSES = ("queued", "sending", "sent", "failed", "unknown", "skipped")
MAX_PAGE_SIZE = 100


class DeliveryQuerySchema(Schema):
    recipient = fields.String(metadata={"description": "member id; members may only ask for their own"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class DeliverySchema(Schema):
    id = fields.String(attribute="_id")
    event_id = fields.String()
    recipient = fields.String()
    channel = fields.String()
    template = fields.String()
    language = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    queued_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    anonymised_at = fields.AwareDateTime(allow_none=True, metadata={"description": "the recipient was erased"})


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
