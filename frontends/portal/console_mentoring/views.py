"""The office's mentoring page (admins): the programme's dashboard from the members API in
one call, drawn as tables with bars, the stalled pairs highlighted, and its CSV export passed
through. The portal computes no figure: it shows the API's."""
from __future__ import annotations

from babel import Locale
from flask import Response, render_template
from flask_babel import get_locale

from frontends.portal.auth import with_role
from frontends.portal.console_events.times import when
from frontends.portal.console_mentoring import blp, board
from frontends.portal.gateway import api
from frontends.portal.i18n import DEFAULT_TIMEZONE

DASHBOARD = "/api/v1/members/mentoring/dashboard"


def language_name(code: str) -> str:
    """An ISO 639-1 code as the page's language names it ("bg": "български"), else the code."""
    return Locale.parse(str(get_locale())).languages.get(code, code)


@blp.context_processor
def _helpers():
    return {"mentoring_when": lambda value: when(value, DEFAULT_TIMEZONE), "person": board.name,
            "waited": board.waited, "language_name": language_name}


@blp.get("/office/mentoring")
@with_role("admin")
def index():
    found = api().get(DASHBOARD)
    counts = {key: board.count_rows(found.get(key) or []) for key in (
        "mentors_by_specialty", "mentors_by_language", "mentees_by_specialty", "mentees_by_language")}
    return render_template("console_mentoring/index.html", board=found, counts=counts,
                           mentors=[board.mentor_row(row) for row in found.get("mentors") or []],
                           totals=found.get("totals") or {}, ended=found.get("ended") or {})


@blp.get("/office/mentoring/export.csv")
@with_role("admin")
def export():
    """The members API's export passed through with the admin's token (the browser holds
    none), piece by piece as it comes, its bytes as they are: the UTF-8 BOM included."""
    result = api().stream(f"{DASHBOARD}/export.csv")
    return Response(result.chunks(), content_type=result.headers.get("Content-Type") or "text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="mentoring-mentors.csv"',
                             "Cache-Control": "private, no-store"})
