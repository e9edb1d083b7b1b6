"""HTTP route of the office's statistics of members, for the portal's dashboard (admins only).

What is counted:
- the classes and faculties: *verified* members (alumni and students), each once by class,
  once by faculty and once by the pair; a member without one is under ``null``;
- the verification funnel, over every member not erased: ``signed_up`` (all of them, the
  office's own accounts too), ``email_confirmed`` (the address proven, as
  ``accounts.email_confirmed`` says), ``verified``, ``pending_verification`` (split into
  ``awaiting_email``: the address not yet proven, and ``awaiting_office``: proven, in the
  approval queue) and ``rejected``.
Erased members are in none of these.
"""
from __future__ import annotations

from collections import Counter

from flask.views import MethodView
from marshmallow import Schema, fields

from services.members.accounts import rules as accounts
from services.members.stats import store as stats_store
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint

blp = Blueprint("member_stats", __name__, url_prefix="/api/v1/members/stats",
                description="Counts of members for the office's dashboard (admins only).")
VERIFIED, PENDING, REJECTED = "verified", "pending_verification", "rejected"


class FunnelSchema(Schema):
    signed_up = fields.Integer(required=True, metadata={"description": "every member not erased"})
    email_confirmed = fields.Integer(required=True, metadata={"description": "the address proven"})
    verified = fields.Integer(required=True)
    pending_verification = fields.Integer(required=True)
    awaiting_email = fields.Integer(required=True, metadata={
        "description": "pending, the address not yet proven"})
    awaiting_office = fields.Integer(required=True, metadata={
        "description": "pending, the address proven: the office's approval queue"})
    rejected = fields.Integer(required=True)


class ClassCountSchema(Schema):
    graduation_year = fields.Integer(required=True, allow_none=True, metadata={"description": "null: not given"})
    count = fields.Integer(required=True)


class FacultyCountSchema(Schema):
    faculty = fields.String(required=True, allow_none=True, metadata={"description": "null: not given"})
    count = fields.Integer(required=True)


class ClassFacultyCountSchema(ClassCountSchema, FacultyCountSchema):
    pass


class MemberStatsSchema(Schema):
    verified_members = fields.Integer(required=True, metadata={
        "description": "what the by_* lists count: verified members, each once per list"})
    by_graduation_year = fields.List(fields.Nested(ClassCountSchema), required=True,
                                     metadata={"description": "by class, oldest first; null last"})
    by_faculty = fields.List(fields.Nested(FacultyCountSchema), required=True,
                             metadata={"description": "by faculty, by name; null last"})
    by_class_and_faculty = fields.List(fields.Nested(ClassFacultyCountSchema), required=True)
    funnel = fields.Nested(FunnelSchema, required=True)


def _order(value) -> tuple:
    """Known values in order, ``None`` (not given) last."""
    return value is None, value if value is not None else 0


def summary(groups: list[dict]) -> dict:
    """The statistics from ``stats_store.member_groups`` (no I/O)."""
    funnel = Counter()
    years, faculties, pairs = Counter(), Counter(), Counter()
    for group in groups:
        count, status = group["count"], group["status"]
        # The one rule of a proven address, asked of the group's key as of a member.
        confirmed = accounts.email_confirmed({"email_confirmed_at": True if group["confirmed"] else None,
                                              "verification": {"method": group["method"]}})
        funnel["signed_up"] += count
        funnel["email_confirmed"] += count if confirmed else 0
        funnel[status] += count
        if status == PENDING:
            funnel["awaiting_office" if confirmed else "awaiting_email"] += count
        if status == VERIFIED:
            years[group["graduation_year"]] += count
            faculties[group["faculty"]] += count
            pairs[group["graduation_year"], group["faculty"]] += count
    return {
        "verified_members": funnel[VERIFIED],
        "by_graduation_year": [{"graduation_year": y, "count": n} for y, n in sorted(years.items(),
                                                                                       key=lambda i: _order(i[0]))],
        "by_faculty": [{"faculty": f, "count": n} for f, n in sorted(faculties.items(), key=lambda i: _order(i[0]))],
        "by_class_and_faculty": [{"graduation_year": y, "faculty": f, "count": n} for (y, f), n in sorted(
            pairs.items(), key=lambda i: (_order(i[0][0]), _order(i[0][1])))],
        "funnel": {name: funnel[name] for name in FunnelSchema().fields},
    }


@blp.route("")
class MemberStats(MethodView):
    @require_auth("admin")
    @blp.response(200, MemberStatsSchema)
    def get(self):
        """Members by class and by faculty (verified members), and the verification funnel
        (every member not erased: signed up, address confirmed, verified, pending, rejected).
        Erased members count nowhere."""
        return summary(stats_store.member_groups(current_service().store.db))
