"""The office's survey pages (admins): the list, the builder of a draft (new and edit, every
change a server round trip), the preview in both languages, opening and closing, deleting a
draft, and the results with their free texts and the CSV export.

The portal checks nothing the members API checks: it sends what was typed and shows the
API's problems beside the fields they name (``builder.error_places``)."""
from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.auth import with_role
from frontends.portal.console_events.times import when
from frontends.portal.console_events.views import segment_name, segment_options
from frontends.portal.console_members.common import form_status, has_next, page_number
from frontends.portal.console_surveys import blp, builder, labels, results, wording
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.i18n import DEFAULT_TIMEZONE

SURVEYS = "/api/v1/members/surveys"
PER_PAGE = 20
TEXTS_PER_PAGE = 25
STATUSES = ("", "draft", "open", "closed")
SAVE_PROBLEMS = {
    "not-draft": _l("This survey is no longer a draft: it cannot be changed."),
    "conflict": _l("This survey is no longer a draft: it cannot be changed."),
    "idempotency-in-progress": _l("This survey is being saved already. Look for it among the drafts in a moment."),
    "idempotency-mismatch": _l("This form has already created a survey. Open a new form to create another."),
}
OPEN_PROBLEMS = {"conflict": _l("Only a draft can be opened."), "not-draft": _l("Only a draft can be opened.")}
# The members API says "not-open" (SURVEYS.md); "conflict" is the page's own word for a survey seen not open.
CLOSE_PROBLEMS = {"conflict": _l("Only an open survey can be closed."),
                  "not-open": _l("Only an open survey can be closed.")}


def _path(survey_id: str, *rest: str) -> str:
    return "/".join([SURVEYS, quote(survey_id, safe=""), *(quote(r, safe="") for r in rest)])


def _survey(survey_id: str) -> dict:
    return api().get(_path(survey_id))


def survey_title(survey: dict) -> str:
    """The title in the page's language, else in the other one."""
    title = survey.get("title") or {}
    return title.get(g.get("locale", "bg")) or title.get("bg") or title.get("en") or ""


def sofia_time(value: str | None) -> str:
    return when(value, DEFAULT_TIMEZONE)


@blp.context_processor
def _helpers():
    return {"survey_title": survey_title, "surveys_labels": labels, "surveys_when": sofia_time,
            "response_rate": results.response_rate}


# --- the list ----------------------------------------------------------------------------

@blp.get("/office/surveys")
@with_role("admin")
def index():
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    page = page_number()
    params = {"page": page, "per_page": PER_PAGE, **({"status": status} if status else {})}
    listing = api().get(SURVEYS, params=params)
    return render_template("console_surveys/index.html", surveys=listing.get("items", []), status=status,
                           page=page, has_next=has_next(listing))


# --- the builder -------------------------------------------------------------------------

def _builder_page(model: dict, *, survey: dict | None, errors=None, message=None, status=200,
                  idempotency_key: str | None = None):
    return render_template("console_surveys/builder.html", model=model, survey=survey, errors=errors or {},
                           message=message, segments=segment_options(), refs=builder.question_refs(model),
                           idempotency_key=idempotency_key), status


def _build(survey: dict | None):
    """The builder's POST: a structure button's change, or saving the draft."""
    model = builder.from_form(request.form)
    action = request.form.get("action", "save")
    key = request.form.get("idempotency_key") or None
    if action != "save":
        builder.apply(model, action)
        return _builder_page(model, survey=survey, idempotency_key=key)
    try:
        if survey is None:
            saved = api().post(SURVEYS, builder.body(model),
                               headers={"Idempotency-Key": (key or uuid.uuid4().hex)[:255]})
        else:
            saved = api().put(_path(survey["id"]), builder.body(model))
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        errors = builder.error_places(wording.field_errors(problem), model)
        message = problems.summary(problem) if problem.errors else problems.summary(problem, SAVE_PROBLEMS)
        return _builder_page(model, survey=survey, errors=errors, message=message, status=form_status(problem),
                             idempotency_key=uuid.uuid4().hex if survey is None else None)
    flash(_("The survey is saved as a draft. Preview it, then open it when it is ready."), "success")
    return redirect(url_for("console_surveys.survey", survey_id=saved["id"]))


@blp.route("/office/surveys/new", methods=["GET", "POST"])
@with_role("admin")
def create():
    if request.method == "GET":
        return _builder_page(builder.blank(), survey=None, idempotency_key=uuid.uuid4().hex)
    return _build(None)


@blp.route("/office/surveys/<survey_id>/edit", methods=["GET", "POST"])
@with_role("admin")
def edit(survey_id: str):
    shown = _survey(survey_id)
    if shown.get("status") != "draft":
        flash(_("This survey is no longer a draft: it cannot be changed."), "info")
        return redirect(url_for("console_surveys.survey", survey_id=survey_id))
    if request.method == "GET":
        return _builder_page(builder.of_survey(shown), survey=shown)
    return _build(shown)


# --- one survey --------------------------------------------------------------------------

@blp.get("/office/surveys/<survey_id>")
@with_role("admin")
def survey(survey_id: str):
    shown = _survey(survey_id)
    return render_template("console_surveys/survey.html", survey=shown,
                           segment_name=segment_name(shown.get("audience")))


@blp.get("/office/surveys/<survey_id>/preview")
@with_role("admin")
def preview(survey_id: str):
    lang = request.args.get("lang", "")
    langs = (lang,) if lang in builder.LANGS else builder.LANGS
    return render_template("console_surveys/preview.html", survey=_survey(survey_id), langs=langs, lang=lang)


def _decision(survey_id: str, verb: str, wanted_status: str, done_message, problems_by_kind: dict):
    """The confirmation page of opening or closing (GET), and doing it (POST). A survey in
    another state gets the page with the reason and no button."""
    shown = _survey(survey_id)
    possible = shown.get("status") == wanted_status
    message, status = (None if possible else str(problems_by_kind["conflict"])), 200
    if request.method == "POST" and possible:
        try:
            done = api().post(_path(survey_id, verb))
        except ApiProblem as problem:
            if problem.status in (403, 404):
                raise
            message = problems.summary(problem, problems_by_kind)
            if problem.errors:
                message = " ".join([message, *(m for ms in wording.field_errors(problem).values() for m in ms)])
            status = form_status(problem)
        else:
            flash(done_message(done or {}), "success")
            return redirect(url_for("console_surveys.survey", survey_id=survey_id))
    elif request.method == "POST":
        status = 409
    return render_template("console_surveys/decide.html", survey=shown, verb=verb, message=message,
                           possible=possible), status


def _opened(done: dict) -> str:
    size = done.get("audience_size")
    if size is None:
        return _("The survey is open. Its audience is invited by email.")
    return _("The survey is open: %(n)s members in its audience are invited by email.", n=size)


@blp.route("/office/surveys/<survey_id>/open", methods=["GET", "POST"])
@with_role("admin")
def open_survey(survey_id: str):
    return _decision(survey_id, "open", "draft", _opened, OPEN_PROBLEMS)


@blp.route("/office/surveys/<survey_id>/close", methods=["GET", "POST"])
@with_role("admin")
def close_survey(survey_id: str):
    return _decision(survey_id, "close", "open", lambda _done: _("The survey is closed: it takes no more answers."),
                     CLOSE_PROBLEMS)


@blp.route("/office/surveys/<survey_id>/delete", methods=["GET", "POST"])
@with_role("admin")
def delete(survey_id: str):
    shown = _survey(survey_id)
    if request.method == "GET":
        return render_template("console_surveys/delete.html", survey=shown)
    try:
        api().call("DELETE", _path(survey_id))
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        flash(problems.summary(problem, SAVE_PROBLEMS), "error")
        return redirect(url_for("console_surveys.survey", survey_id=survey_id))
    flash(_("The draft is deleted."), "success")
    return redirect(url_for("console_surveys.index"))


# --- results -----------------------------------------------------------------------------

@blp.get("/office/surveys/<survey_id>/results")
@with_role("admin")
def results_page(survey_id: str):
    by = request.args.get("by", "")
    by = by if by in labels.BREAKDOWNS else ""
    shown = _survey(survey_id)
    found = api().get(_path(survey_id, "results"), params={"by": by} if by else None)
    return render_template("console_surveys/results.html", survey=shown, results=found, by=by,
                           questions=results.questions(found, shown, g.get("locale", "bg")),
                           groups=results.groups(found, shown, g.get("locale", "bg")))


@blp.get("/office/surveys/<survey_id>/results/texts/<question_id>")
@with_role("admin")
def texts(survey_id: str, question_id: str):
    shown = _survey(survey_id)
    page = page_number()
    found = api().get(_path(survey_id, "results", "texts", question_id),
                      params={"page": page, "per_page": TEXTS_PER_PAGE})
    question = results.definition(shown).get(question_id, {"id": question_id})
    return render_template("console_surveys/texts.html", survey=shown, question=question,
                           items=[results.text_item(item, question) for item in found.get("items", [])],
                           total=found.get("total", 0), page=page, has_next=has_next(found))


@blp.get("/office/surveys/<survey_id>/export.csv")
@with_role("admin")
def export(survey_id: str):
    """The members API's export passed through with the admin's token (the browser holds
    none), piece by piece as it comes (an export can be large), its bytes as they are: the
    UTF-8 BOM that spreadsheets need included."""
    result = api().stream(_path(survey_id, "export.csv"))
    filename = "survey-" + re.sub(r"[^A-Za-z0-9_-]", "", survey_id) + ".csv"
    return Response(result.chunks(), content_type=result.headers.get("Content-Type") or "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})
