"""Answering a survey (``/surveys/<id>/answer``): one section a page, Back and Next, the
answers saved as a draft at every step and the last step submitting them.

- Each step is a round trip: the page posts its answers, the portal merges them into the
  saved ones, saves the draft (``PUT .../response``) and shows the next section. Coming back
  later resumes the draft at the first section with a question still unanswered.
- Show-if: the portal evaluates the conditions itself (``visibility.py``, the API's rules
  repeated) to leave hidden questions and sections off the pages and to count progress. When
  a page's answers reveal more questions on the same page, the page is shown again with them.
  The API still decides: it drops hidden answers and checks the submission.
- A submitted named response may be changed until the close by submitting again; the API
  keeps no draft for it, so its answers ride along in a hidden field from page to page.
  A submitted anonymous response cannot be changed.
- Refusals: 422 names questions, shown beside them (on the first section holding one) with a
  summary at the top; 409 ``closed`` is the survey-closed page.
"""
from __future__ import annotations

import json
import re
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from frontends.portal import problems, survey_answers
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.surveys import api_messages, blp, link, present, visibility

ACTIONS = ("back", "next", "submit", "later")
_KEY = re.compile(r"^[0-9a-f]{32}\Z")
SUBMIT_PROBLEMS = {"validation": _l("Some answers need another look: they are marked below.")}


def survey_path(survey_id: str, tail: str = "") -> str:
    return f"/api/v1/members/surveys/{survey_id}{tail}"


def refused(problem: ApiProblem, survey: dict | None = None):
    """The page for a refusal no form can fix: closed, already submitted, a link that does not
    work, a member not (yet) allowed, a survey that is not there for them."""
    if problem.status == 409 and problem.kind == "submitted":
        return render_template("surveys/submitted.html", survey=survey), 409
    if problem.status == 409:
        return render_template("surveys/closed.html", survey=survey), 409
    if problem.status in (401, 403) and link.token():
        return render_template("surveys/bad_link.html"), 403
    if problem.status == 403:
        return render_template("surveys/not_verified.html"), 403
    if problem.status in (404, 410):
        return render_template("surveys/not_found.html"), 404
    raise problem


def _first_unanswered(survey: dict, answers: dict) -> int:
    by_section = visibility.shown_by_section(survey, answers)
    for index, ids in enumerate(by_section):
        if any(not visibility.is_answered(answers.get(qid)) for qid in ids):
            return index
    return next((index for index, ids in enumerate(by_section) if ids), 0)


def _step(survey: dict) -> int:
    try:
        step = int(request.form.get("step", "0"))
    except ValueError:
        return 0
    return step if 0 <= step < len(survey["sections"]) else 0


def _question_texts(survey: dict) -> dict[str, tuple[str, int]]:
    return {q["id"]: (present.text(q.get("text")), index)
            for index, section in enumerate(survey["sections"]) for q in section["questions"]}


def _page(survey: dict, response: dict, answers: dict, step: int, *, errors: dict | None = None,
          message: str | None = None, notice: str | None = None, kept: bool = False, status: int = 200):
    by_section = visibility.shown_by_section(survey, answers)
    order = [index for index, ids in enumerate(by_section) if ids] or [0]
    if step not in order:
        step = min(order, key=lambda index: abs(index - step))
    visible = [qid for ids in by_section for qid in ids]
    errors = errors or {}
    texts = _question_texts(survey)
    # The summary names every question with a problem; those on this page are links to them.
    summary = [{"id": name[2:], "text": texts.get(name[2:], (name[2:], step))[0],
                "section": present.text(survey["sections"][texts.get(name[2:], ("", step))[1]].get("title")),
                "here": name[2:] in by_section[step], "messages": messages}
               for name, messages in errors.items()]
    return render_template(
        "surveys/answer.html", survey=survey, response=response, answers=answers, step=step,
        section=survey["sections"][step], shown=by_section[step], position=order.index(step) + 1,
        sections=len(order), first=step == order[0], last=step == order[-1],
        answered=sum(1 for qid in visible if visibility.is_answered(answers.get(qid))), total=len(visible),
        errors=errors, message=message, summary=summary,
        question_errors={name[2:]: messages for name, messages in errors.items() if name.startswith("a.")}, notice=notice, token=link.token(),
        # One Idempotency-Key per rendering of the last page: a double click submits once.
        key=uuid.uuid4().hex,
        kept=json.dumps(answers, ensure_ascii=False, separators=(",", ":")) if kept else ""), status


def _kept_answers(response: dict) -> dict:
    """The answers so far: the saved draft, or (a submitted response being changed) those
    carried in the page's hidden field."""
    if response.get("status") != "submitted":
        return dict(response.get("answers") or {})
    try:
        carried = json.loads(request.form.get("kept") or "null")
    except ValueError:
        carried = None
    return carried if isinstance(carried, dict) else dict(response.get("answers") or {})


@blp.route("/surveys/<survey_id>/answer", methods=["GET", "POST"])
def answer(survey_id: str):
    missing = link.who_is_missing()
    if missing is not None:
        return missing
    if not link.plausible_survey_id(survey_id):
        abort(404)
    how = link.calls(link.token())
    try:
        survey = api().get(survey_path(survey_id), **how)
        response = api().get(survey_path(survey_id, "/response"), **how)
    except ApiProblem as problem:
        return refused(problem)
    if response.get("status") == "submitted" and not response.get("editable", False):
        return render_template("surveys/submitted.html", survey=survey)
    changing = response.get("status") == "submitted"
    if request.method == "GET":
        answers = dict(response.get("answers") or {})
        notice = None
        if response.get("status") == "draft":
            notice = _("Welcome back: we kept your draft, saved %(when)s.", when=present.when(response.get("saved_at")))
        elif changing:
            notice = _("You submitted your answers %(when)s. You may change them until the survey closes.",
                       when=present.when(response.get("submitted_at")))
        return _page(survey, response, answers, _first_unanswered(survey, answers) if response.get("status") == "draft"
                     else 0, notice=notice, kept=changing)
    return _posted(survey_id, survey, response, how, changing)


def _posted(survey_id: str, survey: dict, response: dict, how: dict, changing: bool):
    step = _step(survey)
    answers = _kept_answers(response)
    rendered = [qid for qid in request.form.getlist("shown")
                if qid in {q["id"] for q in survey["sections"][step]["questions"]}]
    on_page = {"sections": [{"questions": [q for q in survey["sections"][step]["questions"] if q["id"] in rendered]}]}
    for question in on_page["sections"][0]["questions"]:
        value = survey_answers.answer_from_form(question, request.form)
        if value is None:  # left blank on this page: an earlier answer is taken back
            answers.pop(question["id"], None)
        else:
            answers[question["id"]] = value
    action = request.form.get("action") if request.form.get("action") in ACTIONS else "next"
    if not changing:
        try:
            api().put(survey_path(survey_id, "/response"), {"answers": answers}, **how)
        except ApiProblem as problem:
            if problem.status != 422:
                return refused(problem, survey)
            return _page(survey, response, answers, step, errors=api_messages.answer_errors(problem),
                         message=problems.summary(problem), status=400)
    if action == "later":
        return _later(survey, changing)
    now_shown = visibility.shown_by_section(survey, answers)
    order = [index for index, ids in enumerate(now_shown) if ids] or [0]
    if action in ("next", "submit") and set(now_shown[step]) - set(rendered):
        return _page(survey, response, answers, step, kept=changing,
                     notice=_("Your answers opened more questions on this page."))
    if action == "back":
        return _page(survey, response, answers, max([i for i in order if i < step], default=order[0]), kept=changing)
    later = [i for i in order if i > step]
    if action == "next" or later:
        return _page(survey, response, answers, later[0] if later else step, kept=changing)
    return _submit(survey_id, survey, response, answers, how, changing)


def _later(survey: dict, changing: bool):
    if changing:
        flash(_("Nothing was changed: your submitted answers stay as they were."), "success")
    else:
        flash(_("Your draft is saved. Come back to it any time before the survey closes."), "success")
    if link.token():
        return render_template("surveys/saved.html", survey=survey)
    return redirect(url_for("surveys.index"))


def _submit(survey_id: str, survey: dict, response: dict, answers: dict, how: dict, changing: bool):
    key = request.form.get("key", "")
    sent = {**how, "headers": {**how.get("headers", {}), **({"Idempotency-Key": key} if _KEY.match(key) else {})}}
    try:
        result = api().post(survey_path(survey_id, "/response/submit"), {"answers": answers}, **sent)
    except ApiProblem as problem:
        if problem.status != 422:
            return refused(problem, survey)
        errors = api_messages.answer_errors(problem)
        by_section = visibility.shown_by_section(survey, answers)
        named = {name[2:] for name in errors}
        step = next((index for index, ids in enumerate(by_section) if named & set(ids)), _step(survey))
        return _page(survey, response, answers, step, errors=errors, kept=changing, status=400,
                     message=problems.summary(problem, SUBMIT_PROBLEMS))
    pending = [p for p in (result or {}).get("proposals") or [] if p.get("state", "pending") == "pending"]
    token = link.token()
    if pending:
        flash(_("Thank you: your answers are submitted."), "success")
        if token:
            # The link's token stays out of addresses: the review is this answer's page.
            return render_template("surveys/review.html", survey=survey, proposals=pending, decided=[],
                                   token=token, errors={}, message=None)
        return redirect(url_for("surveys.review", survey_id=survey_id))
    if token:
        return render_template("surveys/thanks.html", survey=survey, anonymous=survey.get("anonymous"))
    return redirect(url_for("surveys.thanks", survey_id=survey_id, **({"anonymous": "1"} if survey.get("anonymous") else {})))
