"""HTTP routes of the alumni roster: the alumni office (admins) imports the university's list
of graduates as CSV and reads the per-row reports.

- ``POST /api/v1/members/roster/imports``: the file as the raw body (``Content-Type: text/csv``,
  name in ``?filename=``) or as the ``file`` part of a ``multipart/form-data`` form. 201 with
  the report and its ``Location``; with ``?dry_run=true``, 200 with the report of what the
  import would do, and nothing is written or stored (the report's ``id`` is null).
- ``GET .../imports``: reports newest first, without their rows; ``GET .../imports/{id}``: one.
- ``GET .../entries/{student_number}``: one roster entry.

Parsing and the rules are in ``roster.py``, storage in ``roster_store.py``.
"""
from __future__ import annotations

from flask import g, request, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.members.roster import rules as roster
from services.members.roster import store as roster_store
from shared import clock
from shared.auth import require_auth
from shared.web import pagination
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("roster", __name__, url_prefix="/api/v1/members/roster",
                description="The university's alumni roster: CSV imports by the alumni office.")
CSV_TYPES = ("text/csv", "application/csv")
# Room for a multipart form's boundaries and part headers around a file of the largest size.
FORM_OVERHEAD = 64 * 1024

REQUEST_BODY = {
    "required": True,
    "description": f"The roster as CSV: UTF-8 (a BOM is fine), a header row, `,` or `;` between cells, "
                   f"at most {roster.MAX_FILE_BYTES // (1024 * 1024)} MB and {roster.MAX_ROWS} rows. "
                   "Required columns: student_number, given_name, family_name, graduation_year, faculty; "
                   "optional: middle_name, given_name_latin, family_name_latin, email, programme, "
                   "specialty. Header names may also be the Bulgarian ones (факултетен номер, име, "
                   "презиме, фамилия, име (латиница), фамилия (латиница), имейл, випуск, факултет, "
                   "програма, специалност); other columns are ignored.",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}},
    },
}


class ImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "check and report what the import would do, writing and storing nothing"})
    filename = fields.String(load_default=None, validate=validate.Length(min=1, max=255), metadata={
        "description": "the file's name for the report, with a raw text/csv body"})


class CountsSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()


class ReportRowSchema(Schema):
    row = fields.Integer(metadata={"description": "line in the file; the header is line 1"})
    student_number = fields.String(allow_none=True, metadata={"description": "normalised"})
    status = fields.String(metadata={"description": "created, updated, unchanged or rejected"})
    changed = fields.List(fields.String(), metadata={"description": "updated: the fields that changed"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "rejected: field -> messages"})


class ImportSummarySchema(Schema):
    id = fields.String(attribute="_id", allow_none=True, metadata={"description": "null for a dry run"})
    filename = fields.String(allow_none=True)
    by = fields.String(metadata={"description": "the admin's member id"})
    at = fields.AwareDateTime()
    dry_run = fields.Boolean()
    counts = fields.Nested(CountsSchema)
    ignored_columns = fields.List(fields.String(), metadata={"description": "header names matching no field"})


class ImportReportSchema(ImportSummarySchema):
    rows = fields.List(fields.Nested(ReportRowSchema), metadata={"description": "one per data row, in file order"})
    rows_truncated = fields.Boolean(metadata={
        "description": "true if the stored report holds only the first rows (a huge report of a "
                       "huge file; the answer to the import itself had them all)"})


ImportPageSchema = pagination.page_schema(ImportSummarySchema, "ImportPage")


class RosterEntrySchema(Schema):
    student_number = fields.String()
    given_name = fields.String()
    middle_name = fields.String(allow_none=True)
    family_name = fields.String()
    given_name_latin = fields.String(allow_none=True)
    family_name_latin = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    graduation_year = fields.Integer()
    faculty = fields.String()
    programme = fields.String(allow_none=True)
    specialty = fields.String(allow_none=True)
    imported_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    last_import_id = fields.String(metadata={"description": "the import that last created or changed it"})
    claimed_by = fields.String(allow_none=True, metadata={"description": "the member whose sign-up it verified"})


def _file_error(message: str) -> Problem:
    return Problem(422, f"The roster file cannot be imported: {message}", kind="validation",
                   errors={"file": [message]})


def _too_large() -> Problem:
    return Problem(413, f"The roster file is larger than {roster.MAX_FILE_BYTES // (1024 * 1024)} MB; "
                        "split it.", kind="too-large")


def _upload(query_filename: str | None) -> tuple[bytes, str | None]:
    """The file's bytes and name, from a raw CSV body or a form's ``file`` part."""
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        # The service's general body limit is smaller than a roster; this route allows one.
        request.max_content_length = roster.MAX_FILE_BYTES + FORM_OVERHEAD
        upload = request.files.get("file")
        if upload is None:
            raise _file_error("Send the CSV as the form's \"file\" part.")
        data = upload.read(roster.MAX_FILE_BYTES + 1)
        return data, query_filename or upload.filename or None
    if mimetype in CSV_TYPES:
        request.max_content_length = roster.MAX_FILE_BYTES
        if (request.content_length or 0) > roster.MAX_FILE_BYTES:
            raise _too_large()
        return request.get_data(cache=False), query_filename
    raise Problem(415, "Send the roster as text/csv, or as the \"file\" part of multipart/form-data.",
                  kind="unsupported-media-type")


@blp.route("/imports")
class Imports(MethodView):
    @require_auth("admin")
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.doc(requestBody=REQUEST_BODY)
    @blp.response(201, ImportReportSchema, description="Imported; `Location` is the stored report.")
    @blp.alt_response(200, schema=ImportReportSchema, description="Dry run: what the import would do.")
    @blp.alt_response(409, description="Another import is running (problem+json).")
    @blp.alt_response(413, description="The file is larger than 5 MB (problem+json).")
    @blp.alt_response(415, description="Neither text/csv nor multipart/form-data (problem+json).")
    @blp.alt_response(422, description="The file as a whole is unusable: not UTF-8, a required column "
                                       "missing, too many rows; `errors.file` says why (problem+json).")
    def post(self, query: dict):
        """Import the alumni roster (CSV); admins.

        Each data row is created, updated (`changed` lists the fields), left unchanged, or
        rejected with field -> reasons; other rows go on. A student number appearing twice,
        or an email another roster entry has, rejects the row. Importing the same file again
        changes nothing: every row is `unchanged`. A column the file lacks leaves that field of
        existing entries as it is; an empty cell clears it.
        """
        data, filename = _upload(query["filename"])
        if len(data) > roster.MAX_FILE_BYTES:
            raise _too_large()
        try:
            parsed = roster.parse(data, current_year=clock.club_date(current_service().clock()).year)
        except roster.RosterFileError as exc:
            raise _file_error(str(exc)) from None
        try:
            report = roster_store.run_import(current_service().store.db, parsed, filename=filename,
                                             by=g.principal.subject, dry_run=query["dry_run"])
        except roster_store.ImportInProgress:
            raise Problem(409, "Another roster import is running; try again when it has finished.",
                          kind="conflict") from None
        if query["dry_run"]:
            return report, 200
        return report, 201, {"Location": url_for("roster.Import", import_id=report["_id"])}

    @require_auth("admin")
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, ImportPageSchema)
    def get(self, query: dict):
        """Past imports, newest first, paginated, without their rows; admins."""
        items, total = roster_store.list_imports(current_service().store.db, query["page"], query["per_page"])
        return pagination.page(items, query, total)


@blp.route("/imports/<import_id>")
class Import(MethodView):
    @require_auth("admin")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(404, description="No such import (problem+json).")
    def get(self, import_id: str):
        """One import's report, with every row; admins."""
        report = roster_store.get_import(current_service().store.db, import_id)
        if report is None:
            raise Problem(404, "No such roster import.", kind="not-found")
        return report


@blp.route("/entries/<student_number>")
class Entry(MethodView):
    @require_auth("admin")
    @blp.response(200, RosterEntrySchema)
    @blp.alt_response(404, description="No such roster entry (problem+json).")
    def get(self, student_number: str):
        """One roster entry by student number (spaces and case do not matter); admins."""
        entry = roster_store.get_entry(current_service().store.db, student_number)
        if entry is None:
            raise Problem(404, "No such roster entry.", kind="not-found")
        return entry
