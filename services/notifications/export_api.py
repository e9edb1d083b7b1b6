"""HTTP route: a member's data export from the notifications service (GDPR access and
portability).

``GET /api/v1/notifications/members/{member_id}/export``: everything the notifications service
holds about the member (``export_store``), as a JSON file; the member or an admin. The members
service exports what it holds, and the portal's "Download my data" bundles every service's part.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from services.notifications import export_store
from shared.web import export
from shared.web.inputs import Blueprint

blp = Blueprint("notifications_export", __name__, url_prefix="/api/v1/notifications",
                description="GDPR: a member's data export (what the notifications service holds).")


class NotificationsExportSchema(Schema):
    exported_at = fields.AwareDateTime()
    service = fields.String(metadata={"description": "always notifications: other services export their own"})
    contact = fields.Dict(allow_none=True, metadata={
        "description": "the service's copy of the member: address, number, language, consents as it holds them"})
    preferences = fields.Dict(allow_none=True, metadata={"description": "channel per category, quiet hours, "
                                                                       "digest hour (null: the defaults)"})
    deliveries = fields.List(fields.Dict(), metadata={
        "description": f"the newest {export_store.DELIVERY_LIMIT} messages to the member: channel, template, "
                       "status, address and times (never the message's content)"})
    deliveries_truncated = fields.Boolean(metadata={"description": "whether older deliveries were left out"})
    survey_completions = fields.List(fields.Dict(), metadata={"description": "surveys the service knows the "
                                                                             "member completed (no reminders)"})
    cause_volunteering = fields.List(fields.Dict(), metadata={"description": "the member's volunteering as the "
                                                                             "service keeps it (who still waits)"})


export.route(blp, NotificationsExportSchema, "notifications", export_store.export,
             "Download everything the notifications service holds about a member: their contact and "
             "consents as it holds them, their preferences and the messages sent to them. The member "
             "themselves or an admin.")
