"""One awards cycle for the office (``/office/awards/<id>``): its phase and dates, and what
the office does in each phase: open the draft, advance the phase (its end moved to now), read
the nominations and redact a statement before judging, seed a shortlist from the top of a
category's standings, read the standings' top 20, the results table (from judging on) with
the tie-break rule, choose each category's winners or no award, and announce.

Each part of the page is asked on its own: a part its phase does not have yet (results
before judging) or whose API does not answer is left out with a note, the rest still works.
Every action is a POST form (CSRF) that comes back here with what happened.
"""
from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.auth import with_role
from frontends.portal.awards import present
from frontends.portal.awards.views import ID, checked, cycle_of, items, path
from frontends.portal.console_awards import blp, builder, results
from frontends.portal.gateway import ApiDown, ApiProblem, api

log = logging.getLogger("alumnet.portal.console_awards")
TOP = 20
SHORTLIST_MAX = 50
STATEMENT_MAX = 4000
RESULTS_PHASES = ("judging", "results", "announced")


def _part(api_path: str, params: dict | None = None):
    """One part of the page, or None when it cannot be had now (the page says so)."""
    try:
        return api().get(api_path, params=params)
    except (ApiProblem, ApiDown) as exc:
        log.warning("awards: a part is missing", extra={"path": api_path, "error": str(exc)})
        return None


def _standings(cycle: dict) -> list[tuple[str, list[dict] | None]]:
    used = ["overall", *(c.get("standings_category") for c in cycle.get("categories") or [])]
    wanted = [code for code in builder.STANDINGS if code in used]
    return [(code, None if (found := _part(path("cycles", cycle["id"], "standings"),
                                           {"category": code, "limit": TOP})) is None
             else results.standings_rows(found)) for code in wanted]


@blp.get("/office/awards/<cycle_id>")
@with_role("admin")
def cycle(cycle_id: str):
    shown = cycle_of(checked(cycle_id))
    draft = shown.get("status", "draft") == "draft"
    nominations = None if draft else _part(path("cycles", cycle_id, "nominations"))
    by_category: dict[str, list[dict]] = {}
    for n in items(nominations):
        by_category.setdefault(n.get("category_id"), []).append(n)
    found_results = _part(path("cycles", cycle_id, "results")) if shown.get("phase") in RESULTS_PHASES else None
    return render_template("console_awards/cycle.html", cycle=shown, draft=draft,
                           nominations_missing=not draft and nominations is None, by_category=by_category,
                           standings=[] if draft else _standings(shown),
                           results_shown=shown.get("phase") in RESULTS_PHASES,
                           results=None if found_results is None else results.categories(found_results),
                           tie_break=results.TIE_BREAK, top=TOP)


def _done(cycle_id: str, anchor: str | None = None):
    return redirect(url_for("console_awards.cycle", cycle_id=cycle_id, _anchor=anchor))


def _act(cycle_id: str, method: str, api_path: str, body: dict | None, said: str, anchor: str | None = None):
    """Ask the API to do it; come back to the cycle with what happened (a refusal in words,
    with the fields' messages)."""
    try:
        api().call(method, api_path, json=body)
    except ApiProblem as problem:
        if problem.status in (403, 404) and not problem.errors:
            raise
        messages = [m for ms in problems.field_errors(problem).values() for m in ms]
        flash(" ".join([present.refusal(problem), *messages]), "error")
    else:
        flash(said, "success")
    return _done(cycle_id, anchor)


@blp.post("/office/awards/<cycle_id>/open")
@with_role("admin")
def open_cycle(cycle_id: str):
    return _act(checked(cycle_id), "POST", path("cycles", cycle_id, "open"), None,
                _("The cycle is open: members are invited to nominate."))


@blp.post("/office/awards/<cycle_id>/advance")
@with_role("admin")
def advance(cycle_id: str):
    return _act(checked(cycle_id), "POST", path("cycles", cycle_id, "advance"), None,
                _("The phase has ended now: the cycle moved on to the next one."))


@blp.post("/office/awards/<cycle_id>/announce")
@with_role("admin")
def announce(cycle_id: str):
    return _act(checked(cycle_id), "POST", path("cycles", cycle_id, "announce"), None,
                _("The winners are announced: they and the audience are emailed."))


@blp.post("/office/awards/<cycle_id>/nominations/<nomination_id>/statements/<int:index>")
@with_role("admin")
def redact(cycle_id: str, nomination_id: str, index: int):
    checked(cycle_id), checked(nomination_id)
    statement = request.form.get("statement", "").replace("\r\n", "\n").strip()
    if not statement or len(statement) > STATEMENT_MAX:
        flash(_("Write the statement as the jury should read it: from 1 to 4000 characters."), "error")
        return _done(cycle_id, f"nomination-{nomination_id}")
    return _act(cycle_id, "PATCH", path("nominations", nomination_id, "statements", str(index)),
                {"statement": statement}, _("The statement is redacted: the jury reads the new text."),
                f"nomination-{nomination_id}")


@blp.post("/office/awards/<cycle_id>/categories/<category_id>/shortlist")
@with_role("admin")
def shortlist(cycle_id: str, category_id: str):
    checked(cycle_id), checked(category_id)
    top = request.form.get("top", "")
    if not top.isdigit() or not 1 <= int(top) <= SHORTLIST_MAX:
        flash(_("Enter how many from the top of the standings: a whole number from 1 to %(n)s.", n=SHORTLIST_MAX),
              "error")
        return _done(cycle_id, f"category-{category_id}")
    return _act(cycle_id, "POST", path("cycles", cycle_id, "categories", category_id, "shortlist"),
                {"top": int(top)}, _("The shortlist is made: each eligible member is asked to confirm."),
                f"category-{category_id}")


@blp.post("/office/awards/<cycle_id>/categories/<category_id>/winners")
@with_role("admin")
def choose_winners(cycle_id: str, category_id: str):
    checked(cycle_id), checked(category_id)
    chosen = [n for n in request.form.getlist("nomination_ids") if ID.match(n)]
    reason = request.form.get("reason", "").strip()
    if request.form.get("no_award") == "on":
        if chosen or not reason:
            flash(_("No award: say why, and choose no nominee."), "error")
            return _done(cycle_id, f"results-{category_id}")
        body = {"no_award": True, "reason": reason}
    elif chosen:
        body = {"nomination_ids": chosen}
    else:
        flash(_("Choose the winner, or tick “no award” and say why."), "error")
        return _done(cycle_id, f"results-{category_id}")
    return _act(cycle_id, "POST", path("cycles", cycle_id, "categories", category_id, "winners"), body,
                _("The decision for this category is saved."), f"results-{category_id}")
