"""The office's awards pages (admins): the cycles, and the cycle builder (new; edit while a
draft), every change of its structure a server round trip.

The portal checks nothing the awards API checks: it sends what was typed and shows the
API's problems beside the fields they name (``builder.error_places``). Judges are found by
searching the members' directory (the API refuses a member without the ``judge`` role,
beside the judges).
"""
from __future__ import annotations

import uuid
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.auth import with_role
from frontends.portal.awards import present
from frontends.portal.awards.views import checked, cycle_of, items, path
from frontends.portal.console_awards import blp, builder
from frontends.portal.console_members.common import form_status
from frontends.portal.gateway import ApiDown, ApiProblem, api

DIRECTORY = "/api/v1/members/directory"
SAVE_PROBLEMS = {
    "awards-not-draft": _l("This cycle is open already: it cannot be changed."),
    "idempotency-in-progress": _l("This cycle is being saved already. Look for it in the list in a moment."),
    "idempotency-mismatch": _l("This form has already created a cycle. Open a new form to create another."),
}


# The eligibility rules as the builder's select names them (the API's codes, builder.RULES).
RULE_NAMES = {
    "verified": _l("A verified member"),
    "graduated_years_ago_at_least": _l("Graduated at least so many years ago"),
    "role_in": _l("Has one of the roles"),
    "not_role": _l("Has none of the roles"),
    "mentored_in_cycle": _l("Mentored a student or new graduate in the cycle's year"),
    "not_recent_winner": _l("Has not won this award in so many years"),
}


@blp.context_processor
def _helpers():
    return {"present": present, "builder": builder,
            "standings_options": [(code, present.category(code)) for code in builder.STANDINGS],
            "rule_options": [(code, str(RULE_NAMES[code])) for code in builder.RULES]}


@blp.get("/office/awards")
@with_role("admin")
def index():
    cycles = sorted(items(api().get(path("cycles"))), key=lambda c: c.get("year") or 0, reverse=True)
    return render_template("console_awards/index.html", cycles=cycles)


# --------------------------------------------------------------------------- the builder

def _found_judges(words: str) -> tuple[list[dict], str | None]:
    if not words:
        return [], None
    try:
        return items(api().get(DIRECTORY, params={"q": words, "page": 1, "per_page": 10})), None
    except (ApiProblem, ApiDown):
        return [], _("The directory cannot be searched right now. Please try again in a minute.")


def _builder_page(model: dict, *, cycle: dict | None, errors=None, message=None, status=200,
                  idempotency_key: str | None = None, found=None, search_problem=None):
    return render_template("console_awards/builder.html", model=model, cycle=cycle, errors=errors or {},
                           message=message, idempotency_key=idempotency_key, found=found,
                           search_problem=search_problem), status


def _build(cycle: dict | None):
    model = builder.from_form(request.form)
    action = request.form.get("action", "save")
    key = request.form.get("idempotency_key") or None
    if action == "find_judges":
        found, trouble = _found_judges(model["judge_search"])
        return _builder_page(model, cycle=cycle, idempotency_key=key, found=found, search_problem=trouble)
    if action != "save":
        names = {k.removeprefix("found."): v for k, v in request.form.items() if k.startswith("found.")}
        builder.apply(model, action, names)
        return _builder_page(model, cycle=cycle, idempotency_key=key)
    try:
        if cycle is None:
            saved = api().post(path("cycles"), builder.body(model),
                               headers={"Idempotency-Key": (key or uuid.uuid4().hex)[:255]})
        else:
            saved = api().patch(path("cycles", cycle["id"]), builder.body(model))
    except ApiProblem as problem:
        if problem.status in (403, 404) and not problem.errors:
            raise
        errors = builder.error_places(problems.field_errors(problem))
        message = problems.summary(problem) if problem.errors else problems.summary(problem, SAVE_PROBLEMS)
        return _builder_page(model, cycle=cycle, errors=errors, message=message, status=form_status(problem),
                             idempotency_key=uuid.uuid4().hex if cycle is None else None)
    flash(_("The cycle is saved as a draft. Check it, then open it for nominations."), "success")
    return redirect(url_for("console_awards.cycle", cycle_id=saved.get("id") or cycle["id"]))


@blp.route("/office/awards/new", methods=["GET", "POST"])
@with_role("admin")
def create():
    if request.method == "GET":
        # The club's year: on 1 January before 02:00 in Sofia it is still last year in UTC.
        return _builder_page(builder.blank(datetime.now(builder.SOFIA).year), cycle=None,
                             idempotency_key=uuid.uuid4().hex)
    return _build(None)


def _judge_names(judge_ids: list[str]) -> dict[str, str]:
    names = {}
    for member_id in judge_ids:
        try:
            names[member_id] = present.name(api().get(f"/api/v1/members/{checked(member_id)}"))
        except ApiProblem:
            continue
    return names


@blp.route("/office/awards/<cycle_id>/edit", methods=["GET", "POST"])
@with_role("admin")
def edit(cycle_id: str):
    shown = cycle_of(checked(cycle_id))
    if shown.get("status", "draft") != "draft":
        flash(_("This cycle is open already: it cannot be changed."), "info")
        return redirect(url_for("console_awards.cycle", cycle_id=cycle_id))
    if request.method == "GET":
        return _builder_page(builder.of_cycle(shown, _judge_names(shown.get("judges") or [])), cycle=shown)
    return _build(shown)
