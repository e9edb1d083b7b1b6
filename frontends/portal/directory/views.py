"""The members' directory (``/directory``): search in either alphabet with filters and pages;
and a member's page (``/members/<id>``) showing only what the API lets the viewer see.

Only verified members search (the API answers 403 to anyone else): the page says why and
what to do rather than showing an error.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.auth import signed_in, viewer
from frontends.portal.directory import blp, preview
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.profile import api_messages, labels

PER_PAGE = 20
SORTS = {"name": _l("Name, A to Z"), "-name": _l("Name, Z to A"),
         "graduation_year": _l("Graduation year, earliest first"),
         "-graduation_year": _l("Graduation year, latest first")}
TEXT_FILTERS = ("q", "graduation_year_from", "graduation_year_to", "city", "language", "sort")
LIST_FILTERS = ("faculty", "country")
FLAG_FILTERS = ("open_to_mentoring", "open_to_ambassador", "open_to_volunteer")


@blp.context_processor
def _labels():
    return {"labels": labels}


def _filters() -> dict:
    """The search form as typed (to show it again) and as the API's query."""
    args = request.args
    typed = {name: args.get(name, "").strip() for name in TEXT_FILTERS}
    typed.update({name: [v for v in args.getlist(name) if v] for name in LIST_FILTERS})
    typed.update({name: args.get(name) == "true" for name in FLAG_FILTERS})
    return typed


def _query(typed: dict, page: int) -> dict:
    query = {name: value for name, value in typed.items() if name in TEXT_FILTERS and value}
    query.update({name: typed[name] for name in LIST_FILTERS if typed[name]})
    query.update({name: "true" for name in FLAG_FILTERS if typed[name]})
    return {**query, "page": page, "per_page": PER_PAGE}


def _page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and int(page) > 0 else 1


@blp.route("/directory")
@signed_in
def search():
    typed, page = _filters(), _page_number()
    searched = any(typed[name] for name in (*TEXT_FILTERS, *LIST_FILTERS, *FLAG_FILTERS) if name != "sort")
    result, errors, message, status = None, {}, None, 200
    try:
        result = api().get("/api/v1/members/directory", params=_query(typed, page))
    except ApiProblem as problem:
        if problem.status == 403:
            return render_template("directory/closed.html"), 403
        errors, message = api_messages.field_errors(problem, {"page": "q"}), problems.summary(problem)
        status = problem.status if problem.status in (404, 409, 429) else 400
    has_next = bool(result) and result["page"] * result["per_page"] < result["total"]
    return render_template("directory/search.html", form=typed, result=result, errors=errors, message=message,
                           page=page, has_next=has_next, searched=searched, sorts=SORTS), status


@blp.route("/members/<member_id>")
def member(member_id: str):
    """Anyone may open it: the API shows visitors only what members made public, and
    answers 404 for a member who is not shown to this viewer at all. My own page can be
    previewed as verified members (``?as=members``) or visitors (``?as=public``) see it."""
    try:
        shown = api().get(f"/api/v1/members/{member_id}")
    except ApiProblem as problem:
        if problem.status == 404:
            return render_template("directory/not_shown.html"), 404
        raise
    me = viewer()
    mine = bool(me and me.member_id == member_id)
    audience = request.args.get("as") if mine and request.args.get("as") in preview.AUDIENCES else None
    own = shown
    if audience:
        shown = preview.as_seen_by(shown, audience)
    return render_template("directory/member.html", member=shown, own=own, mine=mine, audience=audience,
                           audiences=preview.AUDIENCE_NAMES)
