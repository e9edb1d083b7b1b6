"""Events the notifications service publishes: one per delivery that reached its provider or
failed for good, so other services (awards' engagement ledger, dashboards) can count them
without reading our database. Addresses are never in them: the member id is enough."""
from marshmallow import Schema, fields, validate

from shared.bus.envelope import EventCatalog

CATALOG = EventCatalog("notifications")
CHANNELS = ["email", "sms"]


class DeliveryData(Schema):
    delivery_id = fields.String(required=True)
    source_event_id = fields.String(required=True, metadata={"description": "the event or announcement it came from"})
    member_id = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    template = fields.String(required=True)
    category = fields.String(required=True)
    attempts = fields.Integer(required=True)
    provider = fields.String(allow_none=True, load_default=None)


class DeliverySentData(DeliveryData):
    sent_at = fields.AwareDateTime(required=True)
    provider_message_id = fields.String(allow_none=True, load_default=None)


class DeliveryFailedData(DeliveryData):
    failed_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
    permanent = fields.Boolean(required=True, metadata={"description": "false: gave up after retries"})


_EXAMPLE = {"delivery_id": "7d0e...:6f1c2b9e4d8a4e5f9a0b1c2d:email", "source_event_id": "7d0e4c52-...",
            "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d", "channel": "email", "template": "registration_confirmed",
            "category": "events", "attempts": 1, "provider": "smtp"}
DELIVERY_SENT = CATALOG.register("notifications.delivery.sent", DeliverySentData(), example={
    **_EXAMPLE, "sent_at": "2026-11-28T12:00:01+00:00", "provider_message_id": "<7d0e.6f1c@alumnet.local>"})
DELIVERY_FAILED = CATALOG.register("notifications.delivery.failed", DeliveryFailedData(), example={
    **_EXAMPLE, "failed_at": "2026-11-28T12:00:01+00:00", "reason": "550 5.1.1 mailbox unavailable",
    "permanent": True})
