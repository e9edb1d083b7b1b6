"""HTTP routes of the mentoring programme's dashboard (admins only): the figures of
``dashboard.py`` as JSON, and one row per mentor as a CSV file (``shared.csvexport``: UTF-8
with a BOM, no cell a spreadsheet would run). Both read the whole programme in a handful of
queries (``store.dashboard_*``), never one per mentor.
"""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields

from services.members.mentoring import dashboard, rules
from services.members.mentoring import store as mentoring_store
from shared import csvexport
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint

blp = Blueprint("mentoring_dashboard", __name__, url_prefix="/api/v1/members/mentoring/dashboard",
                description="The mentoring programme's dashboard and its CSV export (admins only).")


class DashboardNameSchema(Schema):
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)


class DashboardTotalsSchema(Schema):
    mentors = fields.Integer(required=True, metadata={"description": "members with an offer (paused ones too)"})
    paused = fields.Integer(required=True)
    offered = fields.Integer(required=True, metadata={"description": "not paused and with a free place"})
    places = fields.Integer(required=True, metadata={"description": "the sum of the capacities"})
    free_places = fields.Integer(required=True)
    mentees = fields.Integer(required=True, metadata={"description": "with a request waiting or an active pair"})
    open_requests = fields.Integer(required=True)
    active_pairs = fields.Integer(required=True)
    stalled_pairs = fields.Integer(required=True)
    ended_pairs = fields.Integer(required=True)


class DashboardCountSchema(Schema):
    name = fields.String(required=True)
    count = fields.Integer(required=True)


class DashboardOpenRequestSchema(Schema):
    id = fields.String(required=True)
    mentee_id = fields.String(required=True)
    mentee = fields.Nested(DashboardNameSchema, required=True)
    mentor_id = fields.String(required=True, metadata={"description": "the mentor asked now"})
    mentor = fields.Nested(DashboardNameSchema, required=True)
    choice = fields.Integer(required=True)
    of = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    asked_at = fields.AwareDateTime(required=True)
    deadline = fields.AwareDateTime(required=True)
    age_hours = fields.Float(required=True, metadata={"description": "hours since the request was made"})


class DashboardMentorSchema(Schema):
    mentor_id = fields.String(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True, metadata={"description": "null: the offer was withdrawn"})
    active = fields.Integer(allow_none=True)
    pending = fields.Integer(allow_none=True)
    paused = fields.Boolean(allow_none=True)
    accepted = fields.Integer(required=True)
    declined = fields.Integer(required=True)
    expired = fields.Integer(required=True)
    acceptance_rate = fields.Float(allow_none=True, metadata={"description": "0..1 of the asks answered or expired"})
    median_reply_hours = fields.Float(allow_none=True)
    stalled_pairs = fields.Integer(required=True)
    ended_pairs = fields.Integer(required=True)
    feedback_from_mentees = fields.Float(allow_none=True, metadata={"description": "mean rating 1-5"})


class DashboardStalledSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the mentorship"})
    mentor_id = fields.String(required=True)
    mentor = fields.Nested(DashboardNameSchema, required=True)
    mentee_id = fields.String(required=True)
    mentee = fields.Nested(DashboardNameSchema, required=True)
    started_at = fields.AwareDateTime(required=True)
    last_meeting_on = fields.Date(allow_none=True)
    meetings = fields.Integer(required=True)
    silent_days = fields.Integer(required=True, metadata={"description": "days since the last meeting, or the start"})


class DashboardEndedSchema(Schema):
    pairs = fields.Integer(required=True)
    with_feedback = fields.Integer(required=True)
    mentor_feedback_average = fields.Float(allow_none=True, metadata={"description": "what mentors gave, 1-5"})
    mentee_feedback_average = fields.Float(allow_none=True, metadata={"description": "what mentees gave, 1-5"})


class MentoringDashboardSchema(Schema):
    generated_at = fields.AwareDateTime(required=True)
    totals = fields.Nested(DashboardTotalsSchema, required=True)
    mentors_by_specialty = fields.List(fields.Nested(DashboardCountSchema), required=True)
    mentors_by_language = fields.List(fields.Nested(DashboardCountSchema), required=True)
    mentees_by_specialty = fields.List(fields.Nested(DashboardCountSchema), required=True)
    mentees_by_language = fields.List(fields.Nested(DashboardCountSchema), required=True)
    open_requests = fields.List(fields.Nested(DashboardOpenRequestSchema), required=True, metadata={
        "description": f"the oldest {mentoring_store.OPEN_SHOWN} waiting, oldest first (totals.open_requests: all)"})
    mentors = fields.List(fields.Nested(DashboardMentorSchema), required=True)
    stalled = fields.List(fields.Nested(DashboardStalledSchema), required=True, metadata={
        "description": "active pairs without a meeting for 60 days, longest silence first"})
    ended = fields.Nested(DashboardEndedSchema, required=True)


def _figures() -> dict:
    service = current_service()
    db, now = service.store.db, service.clock()
    offers = mentoring_store.dashboard_offers(db)
    mentorships = mentoring_store.dashboard_mentorships(db)
    oldest, open_total, waiting = mentoring_store.open_requests(db)
    mentee_ids = waiting | {m["mentee_id"] for m in mentorships if m["state"] == rules.ACTIVE}
    named = {o["_id"] for o in offers} | {m["mentor_id"] for m in mentorships} \
        | {m["mentee_id"] for m in mentorships} | {r["mentee_id"] for r in oldest} | {r["asked_mentor"] for r in oldest}
    answers = list(mentoring_store.dashboard_answers(db))
    names = mentoring_store.names_of(db, named | {a["mentor_id"] for a in answers})
    return dashboard.dashboard(offers, answers, mentorships, mentoring_store.profiles_of(db, mentee_ids),
                               oldest, open_total, names, now)


@blp.route("")
class Dashboard(MethodView):
    @require_auth("admin")
    @blp.response(200, MentoringDashboardSchema)
    def get(self):
        """The programme at a glance: mentors and mentees by specialty and language, the
        requests waiting with their age, each mentor's acceptance rate and median reply time,
        active pairs without a meeting for 60 days (stalled), ended pairs' feedback averages."""
        return _figures()


@blp.route("/export.csv")
class DashboardExport(MethodView):
    @require_auth("admin")
    @blp.doc(responses={"200": {"description": "One row per mentor (UTF-8 with a BOM, for Excel).",
                                "content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self):
        """Every mentor's figures as CSV, one row each (the dashboard's mentors table): places,
        answers by outcome, acceptance rate, median reply hours, stalled and ended pairs, the
        mentees' average rating. Cells that a spreadsheet would run as formulas start with an
        apostrophe."""
        rows = _figures()["mentors"]
        return Response(csvexport.stream(dashboard.CSV_COLUMNS, map(dashboard.csv_row, rows)),
                        mimetype=csvexport.MIMETYPE,
                        headers={"Content-Disposition": 'attachment; filename="mentoring-mentors.csv"',
                                 "Cache-Control": "no-store"})
