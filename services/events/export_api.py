"""HTTP route: a member's data export from the events service (GDPR access and portability).

``GET /api/v1/events/members/{member_id}/export``: everything the events service holds about
the member (``export_store``), as a JSON file; the member or an admin. The members service
exports what it holds, and the portal's "Download my data" bundles every service's part.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from services.events import export_store
from shared.web import export
from shared.web.inputs import Blueprint

blp = Blueprint("events_export", __name__, url_prefix="/api/v1/events",
                description="GDPR: a member's data export (what the events service holds).")


class CausesExportSchema(Schema):
    volunteering = fields.List(fields.Dict(), metadata={"description": "volunteering requests, with the cause "
                                                                       "and the role"})
    hours = fields.List(fields.Dict(), metadata={"description": "hours confirmed, per day"})
    owned = fields.List(fields.Dict(), metadata={"description": "causes the member runs"})


class EventsExportSchema(Schema):
    exported_at = fields.AwareDateTime()
    service = fields.String(metadata={"description": "always events: other services export their own"})
    member = fields.Dict(allow_none=True, metadata={"description": "the events service's copy of the member "
                                                                   "(what audiences read)"})
    registrations = fields.List(fields.Dict(), metadata={
        "description": "registrations with their event; `has_ticket` instead of the ticket's code (a secret)"})
    causes = fields.Nested(CausesExportSchema)
    calendar_feed = fields.Dict(allow_none=True, metadata={"description": "when the calendar feed was made "
                                                                         "(its secret URL is not stored)"})


export.route(blp, EventsExportSchema, "events", export_store.export,
             "Download everything the events service holds about a member: registrations, check-ins, "
             "volunteering for causes and confirmed hours. The member themselves or an admin.")
