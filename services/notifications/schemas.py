"""HTTP schemas of the notifications API."""
from marshmallow import Schema, fields, validate

from shared.web.pagination import page_query_schema, page_schema

STATUSES = ("queued", "sending", "sent", "failed", "unknown", "skipped")


class DeliveryQuerySchema(page_query_schema(default=50)):
    recipient = fields.String(metadata={"description": "member id; members may only ask for their own"})
    status = fields.String(validate=validate.OneOf(STATUSES))


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


DeliveryPageSchema = page_schema(DeliverySchema, "DeliveryPage")
