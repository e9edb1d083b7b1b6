"""The events list (upcoming or past, by kind, "for me") and my registrations."""
from __future__ import annotations

from flask import render_template, request

from frontends.portal.auth import signed_in, viewer
from frontends.portal.events import blp, present
from frontends.portal.gateway import api

PER_PAGE = 20
WHEN = ("upcoming", "past")
STATUSES = ("confirmed", "waitlisted", "cancelled")


def page_number() -> int:
    """``?page=`` as a page number; anything else is the first page (a hand-edited link is no error)."""
    try:
        return min(max(int(request.args.get("page", "1")), 1), 10_000)
    except ValueError:
        return 1


@blp.route("/events")
def index():
    """Visitors see the events open to all; members also those of their class, faculty and groups."""
    when = request.args.get("when") if request.args.get("when") in WHEN else "upcoming"
    kind = request.args.get("kind") if request.args.get("kind") in present.KINDS else ""
    for_me = viewer() is not None and request.args.get("mine") == "1"
    page = page_number()
    query = {"when": when, "page": page, "per_page": PER_PAGE}
    if kind:
        query["kind"] = kind
    if for_me:
        query["fits_me"] = "true"
    listing = api().get("/api/v1/events", params=query)
    return render_template("events/index.html", events=listing["items"], total=listing["total"], page=page,
                           has_next=page * PER_PAGE < listing["total"], when=when, kind=kind, for_me=for_me,
                           kinds=present.KINDS, present=present)


@blp.route("/events/mine")
@signed_in
def mine():
    status = request.args.get("status") if request.args.get("status") in STATUSES else ""
    page = page_number()
    query = {"page": page, "per_page": PER_PAGE, **({"status": status} if status else {})}
    listing = api().get("/api/v1/events/registrations/mine", params=query)
    return render_template("events/mine.html", registrations=listing["items"], page=page,
                           has_next=page * PER_PAGE < listing["total"], status=status, present=present)
