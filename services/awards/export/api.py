"""HTTP route: a member's data export from the awards service (GDPR access and portability).

``GET /api/v1/awards/members/{member_id}/export``: everything the awards service holds about
the member (``store.py``), as a JSON file; the member or an admin. The members service exports
what it holds, and the portal's "Download my data" bundles every service's part.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from services.awards.export import store as export_store
from shared.web import export
from shared.web.inputs import Blueprint

blp = Blueprint("awards_export", __name__, url_prefix="/api/v1/awards",
                description="GDPR: a member's data export (what the awards service holds).")


class LedgerExportSchema(Schema):
    rows = fields.List(fields.Dict(), metadata={"description": "activity credited to the member: event type, "
                                                               "time, units and source ids"})
    standings = fields.List(fields.Dict(), metadata={"description": "points per cycle and standings category"})


class NominationsExportSchema(Schema):
    received = fields.List(fields.Dict(), metadata={"description": "nominations of the member, with the "
                                                                   "statements' text (not who wrote them)"})
    made = fields.List(fields.Dict(), metadata={"description": "nominations the member wrote, with their own "
                                                               "statement only"})


class AwardsExportSchema(Schema):
    exported_at = fields.AwareDateTime()
    service = fields.String(metadata={"description": "always awards: other services export their own"})
    member = fields.Dict(allow_none=True, metadata={"description": "the awards service's copy of the member"})
    ledger = fields.Nested(LedgerExportSchema)
    nominations = fields.Nested(NominationsExportSchema)
    judging = fields.List(fields.Dict(), metadata={"description": "scores the member gave as a judge"})
    results = fields.List(fields.Dict(), metadata={"description": "categories the member won"})


export.route(blp, AwardsExportSchema, "awards", export_store.export,
             "Download everything the awards service holds about a member: engagement points and the activity "
             "behind them, nominations made and received, judging and results. The member themselves or an "
             "admin.")
