"""Roster import: the office uploads the university's CSV of graduates, checks it first with a
dry run (nothing is written), imports it, and reads the per-row report of this and past imports.

The members API does both (``POST /api/v1/members/roster/imports`` with ``?dry_run=true``).
After a dry run the page carries the checked file back in its "Import it" form (base64, so the
browser's line-break normalisation of form fields cannot change a byte), and the office imports
exactly what it checked without choosing it again; files too large for a form field (Flask reads
at most 500 kB of a form's text) are chosen again instead.
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import quote

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.auth import with_role
from frontends.portal.console_members import blp, labels
from frontends.portal.console_members.common import form_status, has_next, page_number
from frontends.portal.gateway import ApiProblem, api

IMPORTS = "/api/v1/members/roster/imports"
MAX_FILE_BYTES = 5 * 1024 * 1024  # the members API's limit
CARRY_MAX = 360_000  # a checked file carried back in the page: as base64, under Flask's 500 kB form-field limit
ROWS_SHOWN = 1000
ORDER = {"rejected": 0, "updated": 1, "created": 2, "unchanged": 3}

ROSTER_PROBLEMS = {
    "conflict": lazy_gettext("Another roster import is running. Try again when it has finished."),
    "too-large": lazy_gettext("The file is larger than 5 MB. Split it into smaller files."),
}

labels.register(blp)


def _shown_rows(report: dict, status: str | None) -> tuple[list[dict], int]:
    """Rows to show: rejected first (what needs the office's attention), then updated, created
    and unchanged, each in file order; at most ``ROWS_SHOWN``; and how many there were."""
    rows = [r for r in report.get("rows") or [] if status is None or r.get("status") == status]
    rows.sort(key=lambda r: (ORDER.get(r.get("status"), 9), r.get("row", 0)))
    return rows[:ROWS_SHOWN], len(rows)


def _past_imports() -> dict:
    return api().get(IMPORTS, params={"page": page_number(), "per_page": 20})


def _upload() -> tuple[bytes | None, str | None]:
    """The file's bytes and name: a chosen file, or the checked file carried back by the dry run's page."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read(MAX_FILE_BYTES + 1), upload.filename
    carried = request.form.get("checked")
    if carried:
        try:
            return base64.b64decode(carried, validate=True), request.form.get("filename") or None
        except binascii.Error:
            return None, None
    return None, None


def _form(message=None, errors=None, status=200):
    return render_template("console_members/roster.html", imports=_past_imports(), page=page_number(),
                           has_next=has_next, message=message, errors=errors or {}), status


@blp.route("/office/roster", methods=["GET", "POST"])
@with_role("admin")
def roster():
    if request.method == "GET":
        return _form()
    dry_run = request.form.get("action") == "check"
    data, filename = _upload()
    if data is None:
        return _form(_("Please correct the fields marked below."), {"file": [_("Choose a CSV file.")]}, 400)
    if len(data) > MAX_FILE_BYTES:
        return _form(str(ROSTER_PROBLEMS["too-large"]), {}, 413)
    try:
        report = api().post(IMPORTS, params={"dry_run": "true" if dry_run else "false"},
                            files={"file": (filename or "roster.csv", data, "text/csv")})
    except ApiProblem as problem:
        errors = {name: [labels.message(m) for m in messages]
                  for name, messages in problems.field_errors(problem).items()}
        return _form(problems.summary(problem, ROSTER_PROBLEMS), errors, form_status(problem))
    if not dry_run:
        counts = report.get("counts", {})
        flash(_("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
                "%(rejected)s rejected.", **{k: counts.get(k, 0) for k in ORDER}), "success")
        return redirect(url_for("console_members.roster_import", import_id=report["id"]))
    carry = base64.b64encode(data).decode("ascii") if len(data) <= CARRY_MAX else None
    rows, total = _shown_rows(report, None)
    return render_template("console_members/report.html", report=report, rows=rows, total=total,
                           shown=ROWS_SHOWN, carry=carry, filename=filename, status=None)


@blp.get("/office/roster/imports/<import_id>")
@with_role("admin")
def roster_import(import_id: str):
    report = api().get(f"{IMPORTS}/{quote(import_id, safe='')}")
    status = request.args.get("status")
    status = status if status in ORDER else None
    rows, total = _shown_rows(report, status)
    return render_template("console_members/report.html", report=report, rows=rows, total=total,
                           shown=ROWS_SHOWN, carry=None, filename=report.get("filename"), status=status)
