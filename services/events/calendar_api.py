"""HTTP routes of calendars: an ``.ics`` file per event and each member's secret feed.

- ``GET /api/v1/events/<id>.ics?lang=bg|en``: the event for a calendar, visible exactly as
  ``GET /api/v1/events/<id>`` is (``api.shown``).
- ``POST /api/v1/events/calendar-feed`` (signed in): create or rotate the caller's feed URL
  (the old URL stops working); ``DELETE`` revokes it.
- ``GET /api/v1/events/calendar-feeds/<secret>.ics?lang=bg|en``: no token, the secret in the
  URL is the credential (calendar apps cannot send one). The member's confirmed and
  waitlisted (``TENTATIVE``) registrations' events, and cancelled ones (``CANCELLED``).
"""
from __future__ import annotations

from flask import Response, g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.events import calendar, calendar_store
from services.events.api import for_caller, now, shown
from shared.auth import optional_principal, require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("calendars", __name__, url_prefix="/api/v1/events", description="iCalendar files and feeds.")

ICS = "text/calendar"
ICS_DOC = {"200": {"description": "iCalendar (RFC 5545).", "content": {ICS: {"schema": {"type": "string"}}}}}


class LanguageQuerySchema(Schema):
    lang = fields.String(load_default=calendar.DEFAULT_LANGUAGE, validate=validate.OneOf(calendar.LANGUAGES),
                         metadata={"description": "language of titles and descriptions (default bg)"})


class FeedSchema(Schema):
    url = fields.String(metadata={"description": "the feed's path; keep it secret"})
    created_at = fields.AwareDateTime()


def _ics(cal, headers: dict[str, str]) -> Response:
    return Response(calendar.ics(cal), mimetype=ICS, headers={"X-Content-Type-Options": "nosniff", **headers})


@blp.route("/<event_id>.ics")
class EventCalendar(MethodView):
    @blp.doc(security=[{}, {"bearerAuth": []}],
             responses={**ICS_DOC, "404": {"description": "No such event, or not visible (problem+json)."}})
    @blp.arguments(LanguageQuerySchema, location="query")
    def get(self, query: dict, event_id: str):
        """The event as an iCalendar file to add to a calendar, to those who see the event
        (drafts: admins only; an event for an audience: its verified members, staff, admins)."""
        principal = optional_principal()
        event, fits = shown(event_id, principal)
        cal = calendar.calendar([(for_caller(event, fits), False)], lang=query["lang"], stamp=now())
        return _ics(cal, {"Content-Disposition": f'attachment; filename="{event["_id"]}.ics"',
                          "Cache-Control": "no-cache" if principal is None else "private, no-cache"})


@blp.route("/calendar-feed")
class CalendarFeed(MethodView):
    @require_auth()
    @blp.response(201, FeedSchema)
    @blp.alt_response(403, description="The account was erased (a token used in the moment of its erasure).")
    def post(self):
        """Create the caller's calendar feed, or rotate it: a new secret URL, and the old
        one stops working. Subscribe to it in a calendar app; keep it secret."""
        moment = now()
        try:
            secret = calendar_store.create(current_service().store, g.principal.subject, moment)
        except calendar_store.Erased:
            raise Problem(403, "This account was erased.", kind="erased") from None
        return {"url": f"{blp.url_prefix}/calendar-feeds/{secret}.ics", "created_at": moment}, 201, \
            {"Cache-Control": "private, no-store"}

    @require_auth()
    @blp.response(204)
    def delete(self):
        """Revoke the caller's calendar feed (the URL stops working)."""
        calendar_store.revoke(current_service().store, g.principal.subject)


@blp.route("/calendar-feeds/<secret>.ics")
class CalendarFeedFile(MethodView):
    @blp.doc(security=[{}], responses={**ICS_DOC, "404": {"description": "Unknown or revoked feed (problem+json)."}})
    @blp.arguments(LanguageQuerySchema, location="query")
    def get(self, query: dict, secret: str):
        """A member's calendar feed (no token: the secret URL is the credential)."""
        db = current_service().store.db
        member_id = calendar_store.member_of(db, secret)
        if member_id is None:
            raise Problem(404, "No such calendar feed.", kind="not-found")
        moment = now()
        cal = calendar.calendar(calendar_store.feed_entries(db, member_id, moment), lang=query["lang"],
                                stamp=moment, name=calendar.CALENDAR_NAME)
        return _ics(cal, {"Cache-Control": "private, no-cache", "Referrer-Policy": "no-referrer"})
