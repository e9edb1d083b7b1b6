"""The awards for members: the open cycles with their phases (``/awards``), a cycle's
categories with the nominate form (``/awards/cycles/<id>``) and its winners once announced.

Nominating: the nominee is found by searching the members' directory through the gateway
(the page's GET ``?category=<id>&q=<words>``, as the directory page searches), then chosen
among the results and the statement written. The awards API decides eligibility: a refusal
names the rule that failed (422 ``rule``), shown beside the nominee. A second nomination of
one person in one category is merged by the API (200): the page says the statement was added.
"""
from __future__ import annotations

import logging
import re
import uuid
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.auth import signed_in, viewer
from frontends.portal.awards import blp, present
from frontends.portal.gateway import ApiDown, ApiProblem, api

log = logging.getLogger("alumnet.portal.awards")
AWARDS = "/api/v1/awards"
DIRECTORY = "/api/v1/members/directory"
FOUND = 10
# Cycle, category, nomination and ballot ids are the awards service's; anything else never reaches the API.
ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}\Z")


def checked(object_id: str) -> str:
    if not ID.match(object_id or ""):
        abort(404)
    return object_id


def path(*parts: str) -> str:
    return "/".join([AWARDS, *(quote(checked(p) if i % 2 else p, safe="") for i, p in enumerate(parts))])


def items(found) -> list[dict]:
    """A listing's items (``{"items": [...]}`` or a bare list)."""
    if isinstance(found, dict):
        found = found.get("items", [])
    return [item for item in found or [] if isinstance(item, dict)]


def cycle_of(cycle_id: str) -> dict:
    return api().get(path("cycles", cycle_id))


def category_of(cycle: dict, category_id: str) -> dict | None:
    return next((c for c in cycle.get("categories") or [] if c.get("category_id") == category_id), None)


@blp.context_processor
def _helpers():
    return {"present": present}


@blp.route("/awards")
@signed_in
def index():
    cycles = items(api().get(path("cycles")))
    shown = [c for c in cycles if c.get("phase", c.get("status")) != "draft"]
    shown.sort(key=lambda c: c.get("year") or 0, reverse=True)
    me = viewer()
    return render_template("awards/index.html", cycles=shown, judge=bool(me and "judge" in me.roles))


# --------------------------------------------------------------------------- one cycle and nominating

def _search(words: str) -> tuple[list[dict] | None, str | None]:
    """Members whose names match ``words`` in the directory (None and why when it cannot be asked)."""
    if not words:
        return [], None
    try:
        found = api().get(DIRECTORY, params={"q": words, "page": 1, "per_page": FOUND})
    except ApiProblem as problem:
        if problem.status == 403:
            return None, _("Only verified members can search the directory and nominate.")
        return None, problems.summary(problem)
    except ApiDown:
        return None, _("We cannot search the directory right now. Please try again in a minute.")
    return items(found), None


def _cycle_page(cycle_id: str, *, chosen: str = "", words: str = "", typed: dict | None = None,
                errors: dict | None = None, message: str | None = None, status: int = 200):
    cycle = cycle_of(cycle_id)
    if chosen and category_of(cycle, chosen) is None:
        chosen = ""
    found, search_problem = _search(words) if chosen else ([], None)
    me = viewer()
    return render_template("awards/cycle.html", cycle=cycle, chosen=chosen, words=words, found=found,
                           search_problem=search_problem, typed=typed or {}, errors=errors or {},
                           message=message, me=me, key=uuid.uuid4().hex), status


@blp.route("/awards/cycles/<cycle_id>")
@signed_in
def cycle(cycle_id: str):
    return _cycle_page(checked(cycle_id), chosen=request.args.get("category", ""),
                       words=request.args.get("q", "").strip()[:100])


@blp.post("/awards/cycles/<cycle_id>/nominations")
@signed_in
def nominate(cycle_id: str):
    form = request.form
    category_id, nominee_id = form.get("category_id", ""), form.get("nominee_id", "")
    statement = form.get("statement", "").replace("\r\n", "\n").strip()
    typed = {"nominee_id": nominee_id, "statement": statement, "nominee_name": form.get(f"names.{nominee_id}", "")}
    again = {"chosen": category_id, "words": form.get("q", "").strip()[:100], "typed": typed}
    if not ID.match(category_id):
        abort(400)
    if not ID.match(nominee_id):
        return _cycle_page(checked(cycle_id), **again, errors={"nominee_id": [_("Choose the member you nominate.")]},
                           message=_("Please correct the fields marked below."), status=400)
    try:
        result = api().call("POST", path("cycles", cycle_id, "categories", category_id, "nominations"),
                            json={"nominee_id": nominee_id, "statement": statement},
                            headers={"Idempotency-Key": (form.get("key") or uuid.uuid4().hex)[:64]})
    except ApiProblem as problem:
        if problem.status in (403, 404) and not problem.errors:
            raise
        errors = problems.field_errors(problem)
        if present.rule_code(problem):
            message = present.refused_rule(problem)
            errors["nominee_id"] = [message]
        else:
            message = present.refusal(problem)
        return _cycle_page(cycle_id, **again, errors=errors, message=message,
                           status=problem.status if problem.status in (409, 422, 429) else 400)
    nominee = form.get(f"names.{nominee_id}") or _("The member")
    if nominee_id == viewer().member_id:
        flash(_("Thank you: your nomination of yourself is in. Please confirm it under My nominations."), "success")
    elif result.status == 201:
        flash(_("Thank you: the nomination of %(name)s is in. We have asked them to confirm it.", name=nominee),
              "success")
    else:
        flash(_("%(name)s had been nominated in this category already: your statement is added to that "
                "nomination.", name=nominee), "success")
    return redirect(url_for("awards.cycle", cycle_id=cycle_id))


# --------------------------------------------------------------------------- the winners

@blp.route("/awards/cycles/<cycle_id>/winners")
@signed_in
def winners(cycle_id: str):
    try:
        found = api().get(path("cycles", cycle_id, "winners"))
    except ApiProblem as problem:
        if problem.status not in (403, 404, 409):
            raise
        # Not announced yet: say when it will be (the cycle shows its dates to members).
        return render_template("awards/not_yet.html", cycle=cycle_of(cycle_id))
    return render_template("awards/winners.html", winners=found, cycle_id=cycle_id)
