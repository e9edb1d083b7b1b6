"""HTTP routes of the notifications service: the delivery log, members' notification
preferences, and the office's announcements."""
from __future__ import annotations

import uuid

from flask import g, url_for
from flask.views import MethodView

from services.notifications import store as notification_store
from services.notifications.fanout import SPREADING
from services.notifications.schemas import (
    AnnouncementCreateSchema,
    AnnouncementPageSchema,
    AnnouncementQuerySchema,
    AnnouncementSchema,
    DeliveryPageSchema,
    DeliveryQuerySchema,
    PreferencesSchema,
)
from shared import clock
from shared.auth import require_auth
from shared.logs import current_correlation_id
from shared.web import pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="Email and SMS: the delivery log, preferences and announcements.")


def _store() -> notification_store.NotificationsStore:
    return current_service().store


@blp.route("/deliveries")
@require_auth()
@blp.arguments(DeliveryQuerySchema, location="query")
@blp.response(200, DeliveryPageSchema)
def list_deliveries(query: dict):
    """Deliveries, newest first, with their status and reason. Admins see and search all
    (by member, status, channel, template, source event, announcement, time); a member sees
    only their own."""
    if not g.principal.is_admin:
        if query.get("recipient", g.principal.subject) != g.principal.subject:
            raise Problem(403, "You may only see your own deliveries.", kind="forbidden")
        query["recipient"] = g.principal.subject
    items, total = _store().deliveries(
        recipient=query.get("recipient"), status=query.get("status"), channel=query.get("channel"),
        template=query.get("template"), event_id=query.get("event_id"), fanout_id=query.get("announcement_id"),
        since=query.get("since"), until=query.get("until"), page=query["page"], page_size=query["per_page"])
    return pagination.page(items, query, total)


@blp.route("/preferences/me")
class MyPreferences(MethodView):
    @require_auth()
    @blp.response(200, PreferencesSchema)
    def get(self):
        """Your notification preferences (defaults until you change them)."""
        _not_erased()
        return _store().preferences(g.principal.subject) or PreferencesSchema().load({})

    @require_auth()
    @blp.arguments(PreferencesSchema)
    @blp.response(200, PreferencesSchema)
    def put(self, preferences: dict):
        """Choose a channel per category (email, sms, email_and_sms, digest, none), SMS
        quiet hours and the hour of the daily digest, in your time zone. Marketing messages
        still need your consent for the channel (see the members service)."""
        saved = _store().save_preferences(g.principal.subject, preferences)
        if saved is None:
            _not_found()
        return saved


def _not_erased() -> None:
    if notification_store.is_erased(_store().db, None, g.principal.subject):
        _not_found()


def _not_found() -> None:
    raise Problem(404, "No such member.", kind="not_found")


def _with_progress(fanout: dict) -> dict:
    return {**fanout, "progress": _store().fanout_progress(fanout["_id"])}


@blp.route("/announcements")
class Announcements(MethodView):
    @require_auth("admin")
    @idempotent
    @blp.arguments(AnnouncementCreateSchema)
    @blp.response(202, AnnouncementSchema)
    def post(self, data: dict):
        """Send a one-off message in Bulgarian and English to a segment (or everyone, or a
        class or faculty). It needs the members' consent to the category; it is queued for
        each member in the audience in the background: follow its progress here."""
        audience = data["audience"]
        if audience["kind"] == "segment" and _store().segment(audience["segment_id"]) is None:
            raise Problem(422, "No such segment.", kind="validation",
                          errors={"audience": {"segment_id": ["Unknown or deleted segment."]}})
        fanout = {"_id": uuid.uuid4().hex, "kind": "announcement", "template": "announcement", **data,
                  "status": SPREADING, "created_by": g.principal.subject, "created_at": clock.now(),
                  "correlation_id": current_correlation_id(), "lease_until": None}
        _store().transaction(lambda session: _store().create_fanout(session, fanout))
        return _with_progress(fanout), 202, {"Location": url_for("notifications.Announcement",
                                                                 announcement_id=fanout["_id"])}

    @require_auth("admin")
    @blp.arguments(AnnouncementQuerySchema, location="query")
    @blp.response(200, AnnouncementPageSchema)
    def get(self, query: dict):
        """Announcements, newest first, with their progress."""
        items, total = _store().fanouts("announcement", query["page"], query["per_page"])
        return pagination.page([_with_progress(a) for a in items], query, total)


def _announcement(announcement_id: str) -> dict:
    fanout = _store().fanout(announcement_id)
    if fanout is None or fanout.get("kind") != "announcement":
        raise Problem(404, "No such announcement.", kind="not_found")
    return fanout


@blp.route("/announcements/<announcement_id>")
class Announcement(MethodView):
    @require_auth("admin")
    @blp.response(200, AnnouncementSchema)
    def get(self, announcement_id: str):
        """An announcement and how far it got: queued, sent, failed, skipped (with reasons in
        the delivery log), held for digests."""
        return _with_progress(_announcement(announcement_id))


@blp.route("/announcements/<announcement_id>/cancel")
class CancelAnnouncement(MethodView):
    @require_auth("admin")
    @blp.response(200, AnnouncementSchema)
    def post(self, announcement_id: str):
        """Stop an announcement: nobody more is queued and what has not been sent yet is
        skipped. What was already sent stays sent."""
        _announcement(announcement_id)
        return _with_progress(_store().cancel_fanout(announcement_id, g.principal.subject))
