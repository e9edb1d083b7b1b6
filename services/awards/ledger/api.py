"""HTTP routes of the engagement ledger (prefix ``/api/v1/awards``):

- ``GET /me/engagement?cycle_id=``: the caller's points per category with their rank, and
  where the points came from (per source: activities, raw points, points after caps).
  Without ``cycle_id``: the latest cycle that has started, or, before any, the running year
  in Europe/Sofia under the current rules (no ranks: no standings hold it). Any verified
  member (verification as the awards members view says) and admins.
- ``GET /cycles/<cycle_id>/standings?category=overall&limit=20``: the top of a category
  (admin), with names from the members view where it has them.
- ``GET /cycles/<cycle_id>/members/<member_id>/engagement``: a member's engagement in a cycle
  (admin, or the verified member themself).

A cycle the ledger does not know (``open_cycle`` never registered it) is a 404.
"""
from __future__ import annotations

from flask import g
from flask.views import MethodView

from services.awards.ledger import rules
from services.awards.ledger import store as ledger_store
from services.awards.ledger.schemas import (
    EngagementQuerySchema,
    EngagementSchema,
    StandingsQuerySchema,
    StandingsSchema,
)
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("awards_ledger", __name__, url_prefix="/api/v1/awards",
                description="The engagement ledger: points per member, category and cycle.")


def _db():
    return current_service().store.db


def _verified_or_admin() -> None:
    principal = g.principal
    if principal.is_admin:
        return
    member = ledger_store.member_view(_db(), [principal.subject]).get(principal.subject)
    if not member or member.get("status") != "verified":
        raise Problem(403, "Only verified members see engagement.", kind="forbidden")


def _cycle(cycle_id: str) -> dict:
    try:
        return ledger_store.cycle_of(_db(), cycle_id)
    except ledger_store.UnknownCycle:
        raise Problem(404, "No such cycle.", kind="not-found") from None


def _out(member_id: str, cycle: dict | None, lines: list[dict], ranks: dict[str, int | None], version: str,
         period: tuple) -> dict:
    totals = rules.totals(lines)
    return {
        "member_id": member_id, "cycle_id": cycle["_id"] if cycle else None, "rules_version": version,
        "activity_from": period[0], "activity_to": period[1],
        "totals": [{"category": c, "points": rules.points(totals[c]), "rank": ranks.get(c)} for c in rules.STANDINGS],
        "breakdown": [{"event_type": line["event_type"], "category": line["category"], "count": line["count"],
                       "raw_points": rules.points(line["raw"]), "capped_points": rules.points(line["capped"])}
                      for line in lines],
    }


def engagement_in(cycle: dict, member_id: str) -> dict:
    """A member's engagement in a registered cycle: from their buckets, ranked in its standings."""
    db, version = _db(), cycle["rules_version"]
    lines = rules.breakdown(ledger_store.buckets_of(db, cycle["_id"], member_id), version)
    totals = rules.totals(lines)
    ranks = {c: ledger_store.rank_of(db, cycle["_id"], c, totals[c]) if totals[c] else None for c in rules.STANDINGS}
    return _out(member_id, cycle, lines, ranks, version, (cycle["activity_from"], cycle["activity_to"]))


def running_year(member_id: str) -> dict:
    """A member's tally of the running year under the current rules (no cycle holds it)."""
    period = rules.year_period(current_service().clock())
    buckets = ledger_store.year_buckets(_db(), member_id, *period, rules.CURRENT)
    return _out(member_id, None, rules.breakdown(buckets, rules.CURRENT), {}, rules.CURRENT, period)


@blp.route("/me/engagement")
class MyEngagement(MethodView):
    @require_auth()
    @blp.arguments(EngagementQuerySchema, location="query")
    @blp.response(200, EngagementSchema)
    def get(self, query: dict):
        """The caller's points per category, ranks and breakdown per source."""
        _verified_or_admin()
        me = g.principal.subject
        if "cycle_id" in query:
            return engagement_in(_cycle(query["cycle_id"]), me)
        cycle = ledger_store.current_cycle(_db(), current_service().clock())
        return engagement_in(cycle, me) if cycle else running_year(me)


@blp.route("/cycles/<cycle_id>/standings")
class Standings(MethodView):
    @require_auth("admin")
    @blp.arguments(StandingsQuerySchema, location="query")
    @blp.response(200, StandingsSchema)
    def get(self, query: dict, cycle_id: str):
        """The best of a category in a cycle, best first, with names where the members view has them."""
        cycle = _cycle(cycle_id)
        items = ledger_store.top(_db(), cycle["_id"], query["category"], query["limit"])
        names = ledger_store.member_view(_db(), [i["member_id"] for i in items])
        return {"cycle_id": cycle["_id"], "category": query["category"], "items": [
            {**item, "given_name": names.get(item["member_id"], {}).get("given_name"),
             "family_name": names.get(item["member_id"], {}).get("family_name")} for item in items]}


@blp.route("/cycles/<cycle_id>/members/<member_id>/engagement")
class MemberEngagement(MethodView):
    @require_auth()
    @blp.response(200, EngagementSchema)
    def get(self, cycle_id: str, member_id: str):
        """A member's engagement in a cycle: the office's, or the member's own."""
        if not g.principal.is_admin and g.principal.subject != member_id:
            raise Problem(403, "Only the member and the alumni office see this.", kind="forbidden")
        _verified_or_admin()
        return engagement_in(_cycle(cycle_id), member_id)
