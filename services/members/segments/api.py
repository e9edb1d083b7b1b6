"""HTTP routes of segments: the alumni office's saved member filters, which other services
(announcements, event audiences) refer to by id, and the preview of a filter being written
(its count and first members, by the same query as the saved segment's)."""
from __future__ import annotations

from flask import g, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.members.profiles.api import full_view
from services.members.profiles.schemas import MemberPageSchema
from services.members.schemas import NAME
from services.members.segments import store as segments_store
from shared.auth import require_auth
from shared.memberfilter import MemberFilterSchema
from shared.web import pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("segments", __name__, url_prefix="/api/v1/members/segments",
                description="Named member filters of the alumni office (admins only).")


SEGMENT_NAME = [validate.Length(min=1, max=200), NAME[1]]
# How many matching members a preview names: enough to recognise the filter, not a listing.
SAMPLE = 5
SAMPLE_FIELDS = ("given_name", "family_name")


class SegmentInSchema(Schema):
    name = fields.String(required=True, validate=SEGMENT_NAME)
    filter = fields.Nested(MemberFilterSchema, required=True, metadata={
        "description": "the directory's filter language; `{}` is every verified member"})


class SegmentPreviewInSchema(SegmentInSchema):
    """The body of a segment being written: its name may not be given yet (and is ignored)."""
    name = fields.String(validate=SEGMENT_NAME)


class SampleMemberSchema(Schema):
    id = fields.String(required=True)
    given_name = fields.String()
    family_name = fields.String()


class SegmentPreviewSchema(Schema):
    count = fields.Integer(required=True, metadata={
        "description": "verified members the segment saved from this filter would match now"})
    sample = fields.List(fields.Nested(SampleMemberSchema), required=True, metadata={
        "description": f"the first {SAMPLE} of them by name"})


class SegmentSchema(SegmentInSchema):
    id = fields.String(required=True)
    filter = fields.Dict(required=True)
    version = fields.Integer(required=True, metadata={"description": "grows with every change"})
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    saved_at = fields.AwareDateTime()
    count = fields.Integer(metadata={"description": "verified members matching now"})


SegmentPageSchema = pagination.page_schema(SegmentSchema, "SegmentPage")


def _out(segment: dict, **extra) -> dict:
    return {"id": segment["_id"], **{k: v for k, v in segment.items() if k != "_id"}, **extra}


def _segment(segment_id: str) -> dict:
    try:
        return segments_store.get(current_service().store.db, segment_id)
    except segments_store.NotFound:
        raise Problem(404, "No such segment.", kind="not-found") from None


@blp.route("")
class Segments(MethodView):
    @require_auth("admin")
    @idempotent
    @blp.arguments(SegmentInSchema)
    @blp.response(201, SegmentSchema)
    def post(self, body: dict):
        """Save a named filter. Publishes `members.segment.saved`."""
        segment = segments_store.create(current_service().store, body["name"], body["filter"], g.principal.subject)
        return _out(segment), 201, {"Location": url_for("segments.Segment", segment_id=segment["_id"])}

    @require_auth("admin")
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, SegmentPageSchema)
    def get(self, query: dict):
        """Saved segments, by name."""
        items, total = segments_store.page(current_service().store.db, query["page"], query["per_page"])
        return pagination.page([_out(s) for s in items], query, total)


@blp.route("/preview")
class SegmentPreview(MethodView):
    @require_auth("admin")
    @blp.arguments(SegmentPreviewInSchema)
    @blp.response(200, SegmentPreviewSchema)
    def post(self, body: dict):
        """What a segment with this filter would match now, without saving it: the count the
        saved segment would show (the same query) and the first few members by name."""
        # The page's total is the segment's count (counted by the same query when the page is
        # full, its length when not): one count, not a second one beside it.
        sample, count = segments_store.members_page(current_service().store.db, body["filter"], 1, SAMPLE,
                                                    projection=SAMPLE_FIELDS)
        return {"count": count, "sample": [{"id": m["_id"], **{k: m[k] for k in SAMPLE_FIELDS if k in m}}
                                           for m in sample]}


@blp.route("/<segment_id>")
class Segment(MethodView):
    @require_auth("admin")
    @blp.response(200, SegmentSchema)
    def get(self, segment_id: str):
        """A segment with the number of verified members it matches now."""
        segment = _segment(segment_id)
        return _out(segment, count=segments_store.count(current_service().store.db, segment["filter"]))

    @require_auth("admin")
    @blp.arguments(SegmentInSchema)
    @blp.response(200, SegmentSchema)
    def put(self, body: dict, segment_id: str):
        """Change a segment's name or filter. Publishes `members.segment.saved` (a new version)."""
        try:
            segment = segments_store.replace(current_service().store, segment_id, body["name"], body["filter"])
        except segments_store.NotFound:
            raise Problem(404, "No such segment.", kind="not-found") from None
        return _out(segment)

    @require_auth("admin")
    @blp.response(204)
    def delete(self, segment_id: str):
        """Delete a segment. Publishes `members.segment.deleted`."""
        try:
            segments_store.delete(current_service().store, segment_id)
        except segments_store.NotFound:
            raise Problem(404, "No such segment.", kind="not-found") from None


@blp.route("/<segment_id>/members")
class SegmentMembers(MethodView):
    @require_auth("admin")
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, MemberPageSchema)
    def get(self, query: dict, segment_id: str):
        """The verified members a segment matches now, by name, with all their fields."""
        segment = _segment(segment_id)
        items, total = segments_store.members_page(current_service().store.db, segment["filter"], query["page"],
                                                   query["per_page"])
        return pagination.page([full_view(m) for m in items], query, total)
