"""HTTP routes of the notifications service."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from services.notifications.schemas import DeliveryPageSchema, DeliveryQuerySchema
from shared.auth import require_auth
from shared.web import pagination
from shared.web.app import current_service
from shared.web.problems import Problem

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="The delivery log of email and SMS.")


@blp.route("/deliveries")
@require_auth()
@blp.arguments(DeliveryQuerySchema, location="query")
@blp.response(200, DeliveryPageSchema)
def list_deliveries(query: dict):
    """Deliveries, newest first. Admins see all; a member sees only their own."""
    if not g.principal.is_admin:
        if query.get("recipient", g.principal.subject) != g.principal.subject:
            raise Problem(403, "You may only see your own deliveries.", kind="forbidden")
        query["recipient"] = g.principal.subject
    items, total = current_service().store.deliveries(
        recipient=query.get("recipient"), status=query.get("status"),
        page=query["page"], page_size=query["per_page"])
    return pagination.page(items, query, total)
