"""HTTP routes of tickets, check-in and attendance.

- ``GET /api/v1/events/<id>/registrations/mine/ticket`` (and ``.png``, ``.svg``): the caller's
  ticket, for a confirmed registration only (404 otherwise). Admins fetch anyone's with
  ``/registrations/<member_id>/ticket`` (and ``.png``, ``.svg``). The QR code (segno, error
  correction M) holds ``alumnet:ticket:<code>``: scanner apps can tell an Alumnet ticket from
  any other QR code, and check-in accepts both that and the bare code. Every ticket response
  is ``Cache-Control: private, no-store``: the code is a bearer secret.
- ``POST /api/v1/events/<id>/check-ins {code}`` (admins and staff, the door): from 6 hours before
  the start until the end (409 otherwise, saying when). The first scan answers 200
  ``status: "checked_in"`` with who it is and publishes ``events.attendance.checked_in`` once;
  a later scan answers 200 ``status: "already_checked_in"`` with when and by whom (not an error:
  the scanner shows it). A code that is not a confirmed ticket of this event is 404.
- ``GET /api/v1/events/<id>/attendance.csv`` (admins and staff): the confirmed registrations,
  checked-in first (in arrival order), then the rest (in registration order).
- Staff see the door of published and cancelled events only: a draft is 404 to them.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from flask import Response, g, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, post_load, validate

from services.events import access, events_store, tickets_store
from services.events.api import now
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/events", description="Tickets, check-in and attendance.")

NO_STORE = {"Cache-Control": "private, no-store"}
QR_ERROR = "m"
QR_SCALE = 8
QR_BORDER = 4
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
CODE_PATTERN = rf"^({re.escape(tickets_store.TICKET_URI_PREFIX)})?[A-Za-z0-9_-]{{16,64}}\Z"
CSV_COLUMNS = ("member_id", "given_name", "family_name", "guests", "status", "registered_at", "checked_in_at")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- schemas

class CheckInSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(
        CODE_PATTERN, error="Not a ticket code: scan the ticket's QR code or type the code under it."),
        metadata={"description": "the ticket code, or the QR code's content alumnet:ticket:<code>"})

    @post_load
    def _bare(self, data: dict, **_) -> dict:
        data["code"] = data["code"].removeprefix(tickets_store.TICKET_URI_PREFIX)
        return data


class EventSummarySchema(Schema):
    event_id = fields.String()
    title = fields.Dict(metadata={"description": "{bg, en}"})
    kind = fields.String()
    starts_at = fields.String()
    ends_at = fields.String()
    timezone = fields.String()
    place = fields.Dict(allow_none=True)
    online_url = fields.String(allow_none=True)


class TicketSchema(Schema):
    code = fields.String(metadata={"description": "the check-in code: keep it secret"})
    qr_content = fields.String(metadata={"description": "what the QR code holds"})
    member_id = fields.String()
    guests = fields.Integer()
    status = fields.String(metadata={"description": "the registration's status: confirmed"})
    checked_in_at = fields.AwareDateTime(allow_none=True)
    event = fields.Nested(EventSummarySchema)
    png_url = fields.String()
    svg_url = fields.String()


class CheckInResultSchema(Schema):
    status = fields.String(metadata={"description": "checked_in (this scan) or already_checked_in"})
    registration_id = fields.String()
    member_id = fields.String(allow_none=True)
    given_name = fields.String(allow_none=True, metadata={"description": "when the read model knows it"})
    family_name = fields.String(allow_none=True)
    guests = fields.Integer(metadata={"description": "guests coming with the member"})
    checked_in_at = fields.AwareDateTime()
    checked_in_by = fields.String(metadata={"description": "the staff member who scanned first"})


# --------------------------------------------------------------------------- helpers

def _event(event_id: str) -> dict:
    try:
        return events_store.get(current_service().store.db, event_id)
    except events_store.NotFound:
        raise Problem(404, "No such event.", kind="not-found") from None


def _door(event_id: str) -> dict:
    """The event whose door the caller (admin or staff) runs: 404 if they do not see it."""
    event = _event(event_id)
    if not access.visible(event, g.principal, None):
        raise Problem(404, "No such event.", kind="not-found")
    return event


def _ticket(event_id: str, member_id: str) -> tuple[dict, dict]:
    event = _event(event_id)
    registration = tickets_store.ticket(current_service().store.db, event_id, member_id)
    if registration is None:
        raise Problem(404, "No ticket: tickets are for confirmed registrations.", kind="not-found")
    return event, registration


def _member_id(member_id: str | None) -> str:
    """``None``: the caller's own ticket; a member id: admins only."""
    if member_id is None:
        return g.principal.subject
    if not g.principal.is_admin:
        raise Problem(403, "Only admins see other members' tickets.", kind="forbidden")
    return member_id


def qr_code(code: str) -> segno.QRCode:
    return segno.make_qr(tickets_store.ticket_uri(code), error=QR_ERROR, boost_error=False)


def qr_image(code: str, fmt: str) -> bytes:
    out = io.BytesIO()
    options = {"title": "Alumnet ticket"} if fmt == "svg" else {}
    qr_code(code).save(out, kind=fmt, scale=QR_SCALE, border=QR_BORDER, **options)
    return out.getvalue()


def _ticket_body(event: dict, registration: dict, member_id: str | None) -> dict:
    code = registration["ticket_code"]
    urls = {fmt: url_for("tickets.MyTicketImage" if member_id is None else "tickets.MemberTicketImage",
                         event_id=event["_id"], fmt=fmt, **({} if member_id is None else {"member_id": member_id}))
            for fmt in IMAGE_TYPES}
    return {"code": code, "qr_content": tickets_store.ticket_uri(code), "member_id": registration["member_id"],
            "guests": registration.get("guests", 0), "status": registration["status"],
            "checked_in_at": registration.get("checked_in_at"), "event": events_store.summary(event),
            "png_url": urls["png"], "svg_url": urls["svg"]}


def _image_response(registration: dict, fmt: str) -> Response:
    response = Response(qr_image(registration["ticket_code"], fmt), mimetype=IMAGE_TYPES[fmt], headers=NO_STORE)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if fmt == "svg":  # served from the API's origin: nothing in it may run
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).isoformat(timespec="seconds")


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --------------------------------------------------------------------------- tickets

TICKET_DOC = {"responses": {"404": {"description": "No such event, or no confirmed registration (problem+json)."}}}
IMAGE_DOC = {"responses": {"200": {"description": "The ticket's QR code.", "content": {
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/svg+xml": {"schema": {"type": "string"}}}}, **TICKET_DOC["responses"]}}


@blp.route("/<event_id>/registrations/mine/ticket")
class MyTicket(MethodView):
    @require_auth()
    @blp.doc(**TICKET_DOC)
    @blp.response(200, TicketSchema)
    def get(self, event_id: str):
        """The caller's ticket for an event: its check-in code, the event, whether it has
        been used. Only a confirmed registration has one. Not cacheable."""
        event, registration = _ticket(event_id, _member_id(None))
        return _ticket_body(event, registration, None), 200, NO_STORE


@blp.route("/<event_id>/registrations/mine/ticket.<any(png, svg):fmt>")
class MyTicketImage(MethodView):
    @require_auth()
    @blp.doc(**IMAGE_DOC)
    def get(self, event_id: str, fmt: str):
        """The caller's ticket as a QR code (PNG or SVG) to show at the door. It holds
        `alumnet:ticket:<code>`. Not cacheable."""
        _, registration = _ticket(event_id, _member_id(None))
        return _image_response(registration, fmt)


@blp.route("/<event_id>/registrations/<member_id>/ticket")
class MemberTicket(MethodView):
    @require_auth("admin")
    @blp.doc(**TICKET_DOC)
    @blp.response(200, TicketSchema)
    def get(self, event_id: str, member_id: str):
        """A member's ticket (admins), e.g. to resend it."""
        event, registration = _ticket(event_id, _member_id(member_id))
        return _ticket_body(event, registration, member_id), 200, NO_STORE


@blp.route("/<event_id>/registrations/<member_id>/ticket.<any(png, svg):fmt>")
class MemberTicketImage(MethodView):
    @require_auth("admin")
    @blp.doc(**IMAGE_DOC)
    def get(self, event_id: str, member_id: str, fmt: str):
        """A member's ticket as a QR code (admins)."""
        _, registration = _ticket(event_id, _member_id(member_id))
        return _image_response(registration, fmt)


# --------------------------------------------------------------------------- check-in

@blp.route("/<event_id>/check-ins")
class CheckIns(MethodView):
    @require_auth(*access.DOOR)
    @blp.arguments(CheckInSchema)
    @blp.response(200, CheckInResultSchema)
    @blp.alt_response(404, description="No valid ticket for this event, or no such event (problem+json).")
    @blp.alt_response(409, description="The event is cancelled, or check-in is not open now (problem+json "
                                       "with opens_at and closes_at).")
    def post(self, body: dict, event_id: str):
        """Check a ticket in (the door: admins and staff), from 6 hours before the start until
        the end. The first scan checks in and publishes `events.attendance.checked_in`; a later
        scan answers `already_checked_in` with when and by whom (200: the scanner shows it)."""
        event = _door(event_id)
        if event["status"] == "cancelled":
            raise Problem(409, "The event is cancelled.", kind="conflict")
        if event["status"] != "published":
            raise Problem(409, "The event is not published.", kind="conflict")
        opens, closes = tickets_store.check_in_window(event)
        moment = now()
        if not opens <= moment < closes:
            zone = ZoneInfo(event["timezone"])
            detail = (f"Check-in opens at {_local(opens, zone)}." if moment < opens
                      else f"Check-in closed at {_local(closes, zone)}, when the event ended.")
            raise Problem(409, detail, kind="check-in-closed", opens_at=opens.isoformat(),
                          closes_at=closes.isoformat())
        try:
            outcome = tickets_store.check_in(current_service().store, event, body["code"], g.principal.subject,
                                             moment)
        except tickets_store.NoTicket:
            raise Problem(404, "No valid ticket for this event.", kind="no-ticket") from None
        registration = outcome.registration
        result = {"status": "checked_in" if outcome.first else "already_checked_in",
                  "registration_id": registration["_id"], "member_id": registration["member_id"],
                  "guests": registration.get("guests", 0), "checked_in_at": registration["checked_in_at"],
                  "checked_in_by": registration.get("checked_in_by")}
        known = tickets_store.names(current_service().store.db, [registration["member_id"]])
        member = known.get(registration["member_id"]) or {}
        result.update(given_name=member.get("given_name"), family_name=member.get("family_name"))
        return result


# --------------------------------------------------------------------------- attendance

@blp.route("/<event_id>/attendance.csv")
class Attendance(MethodView):
    @require_auth(*access.DOOR)
    @blp.doc(responses={"200": {"description": "The attendance list (UTF-8 with a BOM, for Excel).",
                                "content": {"text/csv": {"schema": {"type": "string"}}}},
                        "404": {"description": "No such event (problem+json)."}})
    def get(self, event_id: str):
        """The attendance list as CSV (admins and staff): every confirmed registration, the checked-in
        first (in the order they arrived), then the rest (in the order they registered).
        `status` is `checked_in` or `confirmed`; times are ISO 8601 in the event's time zone;
        names are those the events service knows."""
        event = _door(event_id)
        db = current_service().store.db
        zone = ZoneInfo(event["timezone"])
        rows = tickets_store.attendance(db, event_id)
        known = tickets_store.names(db, [r.get("member_id") for r in rows])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            member = known.get(r.get("member_id")) or {}
            writer.writerow([safe_cell(v) for v in (
                r.get("member_id"), member.get("given_name"), member.get("family_name"), r.get("guests", 0),
                "checked_in" if r.get("checked_in_at") else r["status"], _local(r.get("registered_at"), zone),
                _local(r.get("checked_in_at"), zone))])
        return Response(("\ufeff" + out.getvalue()).encode("utf-8"), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="attendance-{event_id}.csv"',
                                 **NO_STORE})
