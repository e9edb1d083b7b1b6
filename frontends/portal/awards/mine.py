"""My side of the awards: my engagement (``/me/engagement``: points per standings category
with my rank, and where they came from, as a bar chart with the same figures as a table) and
my nominations (``/me/nominations``: those of me, with the answer still to give, and those I
made).

The portal computes no points: it shows the awards API's (``GET /me/engagement``), ordered
and drawn. Totals are ``[{category, points, rank}]`` (rank null without points or without a
cycle); a breakdown row is ``{event_type, category, count, raw_points, capped_points}``; the
cycle counted is named by ``cycle_id`` (null: the running year, no cycle has started).
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import render_template, request

from frontends.portal.auth import signed_in, viewer
from frontends.portal.awards import blp, chart, present
from frontends.portal.awards.views import ID, items, path
from frontends.portal.gateway import ApiDown, ApiProblem, api


def totals(found: Mapping[str, Any]) -> list[dict]:
    """Every standings category with my points and rank, in the ledger's order (others after)."""
    given = {row.get("category"): row for row in found.get("totals") or [] if isinstance(row, dict)}
    codes = [*present.CATEGORIES, *(c for c in given if c not in present.CATEGORIES)]
    return [{"category": code, "points": (given.get(code) or {}).get("points") or 0,
             "rank": (given.get(code) or {}).get("rank")} for code in codes]


def breakdown(found: Mapping[str, Any]) -> list[dict]:
    """The sources of my points, most counted points first."""
    given = found.get("breakdown") or []
    rows = [{"event_type": r.get("event_type"), "category": r.get("category"), "count": r.get("count") or 0,
             "raw_points": r.get("raw_points") or 0, "capped_points": r.get("capped_points") or 0}
            for r in given if isinstance(r, dict)]
    return sorted(rows, key=lambda r: (-r["capped_points"], -r["raw_points"], present.source(r["event_type"])))


def _cycles() -> list[dict]:
    """The cycles a member may choose between (none when the list cannot be had: the page still works)."""
    try:
        return [c for c in items(api().get(path("cycles"))) if c.get("phase", c.get("status")) != "draft"]
    except (ApiProblem, ApiDown):
        return []


@blp.route("/me/engagement")
@signed_in
def engagement():
    cycle_id = request.args.get("cycle_id", "")
    params = {"cycle_id": cycle_id} if ID.match(cycle_id) else None
    found = api().get(path("me", "engagement"), params=params) or {}
    rows, cycles = breakdown(found), _cycles()
    counted = next((c for c in cycles if found.get("cycle_id") and c.get("id") == found.get("cycle_id")), None)
    return render_template("awards/engagement.html", found=found, totals=totals(found), rows=rows,
                           chart=chart.bars(rows, present.source), cycles=cycles, cycle=counted,
                           cycle_id=found.get("cycle_id") or "")


@blp.route("/me/nominations")
@signed_in
def nominations():
    found = api().get(path("me", "nominations")) or {}
    if "of_me" in found or "by_me" in found:
        of_me, by_me = items(found.get("of_me")), items(found.get("by_me"))
    else:
        me = viewer().member_id
        listed = items(found)
        of_me = [n for n in listed if n.get("nominee_id") == me]
        by_me = [n for n in listed if n.get("nominee_id") != me]
    return render_template("awards/nominations.html", of_me=of_me, by_me=by_me)
