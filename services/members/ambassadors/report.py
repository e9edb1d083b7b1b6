"""The office's ambassador report: per ambassador and country, for a period of days (default
the last twelve months), contacts, replies, replies within target, the median reply time,
activities by kind and people reached, as JSON and as a CSV file (``shared.csvexport``:
UTF-8 with a BOM, formula-safe cells). The arithmetic is ``rules.report_rows``; the data,
one query per collection, ``store.report_inputs``."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response
from flask.views import MethodView

from services.members.ambassadors import rules
from services.members.ambassadors import store as ambassadors_store
from services.members.ambassadors.schemas import AmbassadorReportQuerySchema, AmbassadorReportSchema
from shared import csvexport
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("ambassadors_report", __name__, url_prefix="/api/v1/members/ambassadors",
                description="The office's ambassador report.")

CSV_COLUMNS = ("member_id", "name", "country", "contacts", "replied", "replied_within_target",
               "median_reply_hours", *(f"activities_{kind}" for kind in rules.ACTIVITY_KINDS), "people_reached")


def csv_row(row: Mapping[str, Any]) -> list:
    return [row["member_id"], row["name"], row["country"], row["contacts"], row["replied"],
            row["replied_within_target"], row["median_reply_hours"],
            *(row["activities"][kind] for kind in rules.ACTIVITY_KINDS), row["people_reached"]]


def report(query: Mapping[str, Any]) -> dict:
    service = current_service()
    starts, ends = rules.period(query["starts"], query["ends"], service.clock())
    if starts > ends:
        raise Problem(422, "The period has invalid fields.", kind="validation",
                      errors={"from": ["Must not be after `to`."]})
    ambassadors, names, contacts, activities = ambassadors_store.report_inputs(service.store.db, starts, ends)
    return {"starts": starts, "ends": ends, "rows": rules.report_rows(ambassadors, names, contacts, activities)}


@blp.route("/report")
class Report(MethodView):
    @require_auth("admin")
    @blp.arguments(AmbassadorReportQuerySchema, location="query")
    @blp.response(200, AmbassadorReportSchema)
    def get(self, query: dict):
        """Per ambassador and country, for the period: contacts assigned, replied, replied
        within target, median reply hours, activities by kind and people reached (the office)."""
        return report(query)


@blp.route("/report.csv")
class ReportCsv(MethodView):
    @require_auth("admin")
    @blp.arguments(AmbassadorReportQuerySchema, location="query")
    @blp.doc(responses={"200": {"description": "One row per ambassador and country (UTF-8 with a BOM, for Excel).",
                                "content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, query: dict):
        """The report as CSV (the office); cells a spreadsheet would run as formulas start with
        an apostrophe."""
        rows = report(query)["rows"]
        return Response(csvexport.stream(CSV_COLUMNS, map(csv_row, rows)), mimetype=csvexport.MIMETYPE,
                        headers={"Content-Disposition": 'attachment; filename="ambassadors-report.csv"',
                                 "Cache-Control": "no-store"})
