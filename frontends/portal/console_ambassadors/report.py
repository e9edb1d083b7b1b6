"""The programme's report for the office (``/office/ambassadors/report?from=&to=``): per
ambassador and country, the contacts, the replies and how many came within the target, the
median reply time, the activities by kind and the people reached; and its CSV, the members
API's export passed through as it comes (like the mentoring export), for the same period.

The figures are the API's; the page only draws them. A period the API refuses is said beside
its dates.
"""
from __future__ import annotations

import re

from flask import Response, render_template, request

from frontends.portal.ambassadors import present
from frontends.portal.auth import with_role
from frontends.portal.console_ambassadors import blp
from frontends.portal.gateway import ApiProblem, api

REPORT = f"{present.API}/ambassadors/report"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def period() -> dict[str, str]:
    """``from`` and ``to`` of this request, each only when it is a day."""
    return {name: request.args[name] for name in ("from", "to") if _DAY.match(request.args.get(name, ""))}


@blp.get("/office/ambassadors/report")
@with_role("admin")
def report():
    wanted = period()
    errors, rows = {}, []
    try:
        found = api().get(REPORT, params=wanted)
        rows = found.get("rows", found.get("items")) or []
    except ApiProblem as problem:
        if problem.status not in (400, 422):
            raise
        errors = present.field_errors(problem)
    return render_template("console_ambassadors/report.html", rows=rows, wanted=wanted, errors=errors,
                           kinds=present.ACTIVITY_KINDS), 400 if errors else 200


@blp.get("/office/ambassadors/report.csv")
@with_role("admin")
def report_csv():
    """The API's CSV with the admin's token (the browser holds none), piece by piece, its
    bytes as they are (the UTF-8 BOM included)."""
    result = api().stream(f"{REPORT}.csv", params=period())
    return Response(result.chunks(), content_type=result.headers.get("Content-Type") or "text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="ambassadors-report.csv"',
                             "Cache-Control": "private, no-store"})
