"""HTTP routes of surveys: the alumni office builds, opens and closes them; the members of a
survey's audience answer it (drafts first, then one submission) and accept or decline the
profile changes their answers propose.

Who answers: a verified member whose profile matches the survey's audience, with their
bearer token, or anyone presenting the personal link's ``X-Survey-Token`` (made for one member
and one survey, ``shared.surveylink``), who then acts as that member for that survey only
and only while it is open. When the header is sent, it decides (a bearer token is not read).
A survey is not advertised: to anyone outside its audience it does not exist (404); a
member not yet verified is refused (403).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import g, request, url_for
from flask.views import MethodView
from marshmallow import ValidationError

from services.members.profiles import store as profiles_store
from services.members.profiles.schemas import ProfileUpdateSchema
from services.members.schemas import ProblemSchema
from services.members.surveys import rules
from services.members.surveys import store as surveys_store
from services.members.surveys.schemas import (
    AnswersInSchema,
    DecidedSchema,
    DecisionsInSchema,
    MySurveysSchema,
    ProposalsSchema,
    ResponseSchema,
    SubmitInSchema,
    SubmittedSchema,
    SurveyListQuerySchema,
    SurveyOutSchema,
    SurveyPageSchema,
)
from shared import surveylink
from shared.auth import optional_principal, require_auth
from shared.web import pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import PROBLEM_CONTENT_TYPE, Problem

blp = Blueprint("surveys", __name__, url_prefix="/api/v1/members",
                description="Surveys: the alumni office builds and opens them; their audience answers.")

TOKEN = surveylink.HEADER
# What a member sees of a survey: its definition, not the office's figures.
MEMBER_FIELDS = ("id", "status", "title", "description", "sections", "opens_at", "closes_at", "anonymous")


def _problem_doc(status: int, description: str):
    return blp.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_CONTENT_TYPE,
                            description=description)


def _not_found() -> Problem:
    return Problem(404, "No such survey.", kind="not-found")


def _closed() -> Problem:
    return Problem(409, "The survey is not open: answers are taken from its opening until it closes.",
                   kind="closed")


def _now():
    return current_service().clock()


def _db():
    return current_service().store.db


def _survey(survey_id: str) -> dict:
    try:
        return surveys_store.get(_db(), survey_id)
    except surveys_store.NotFound:
        raise _not_found() from None


def _out(survey: dict, respondents: int | None = None) -> dict:
    shown = {"id": survey["_id"], **{k: v for k, v in survey.items() if k != "_id"}}
    if respondents is not None:
        shown["respondents"] = respondents
    return shown


def _admin_out(survey: dict) -> dict:
    return _out(survey, surveys_store.respondents(_db(), [survey["_id"]])[survey["_id"]])


def _member_out(survey: dict) -> dict:
    return {k: v for k, v in _out(survey).items() if k in MEMBER_FIELDS}


# --- who answers -------------------------------------------------------------------------

@dataclass(frozen=True)
class Respondent:
    survey: dict
    member: dict


def _bad_link(status: int, reason: str) -> Problem:
    return Problem(status, "The personal survey link is not valid: " + reason, kind="invalid-survey-link",
                   errors={TOKEN: [reason]})


def _linked_member(survey: dict, token: str) -> dict:
    key = current_service().config.link_signing_key
    if not key:
        raise Problem(503, "Personal survey links are not configured.", kind="not-configured")
    try:
        link = surveylink.read_token(key, token, _now())
    except surveylink.BadSurveyLink:
        raise _bad_link(401, "Altered, signed with another key, or expired.") from None
    if link.survey_id != survey["_id"]:
        raise _bad_link(403, "It was made for another survey.")
    if not surveys_store.is_answerable(survey, _now()):
        raise _bad_link(403, "The survey is not open: the link works only while it is.")
    member = _db().members.find_one({"_id": link.member_id})
    if member is None or member.get("status") != "verified":
        raise _bad_link(403, "Its member is no longer a verified member.")
    return member


def _respondent(survey_id: str) -> Respondent:
    """The member answering ``survey_id`` (see the module docstring), or the problem why not."""
    token = request.headers.get(TOKEN)
    if token is not None:
        survey = _survey(survey_id)
        member = _linked_member(survey, token)
        if not surveys_store.in_audience(_db(), survey, member):
            raise _not_found()
        return Respondent(survey, member)
    member = _db().members.find_one({"_id": _principal().subject})
    if member is None:
        raise _not_found()   # no member record (an office token): in no survey's audience
    if member.get("status") != "verified":
        raise Problem(403, "Surveys are for verified members.", kind="forbidden")
    survey = _survey(survey_id)
    if survey["status"] == surveys_store.DRAFT or not surveys_store.in_audience(_db(), survey, member):
        raise _not_found()
    return Respondent(survey, member)


def _principal():
    principal = optional_principal()
    if principal is None:
        raise Problem(401, f"A bearer access token or the personal link's {TOKEN} header is required.",
                      kind="unauthenticated", headers={"WWW-Authenticate": 'Bearer realm="alumnet"'})
    return principal


def respondent_route(view):
    """The outer decorator of a member route of one survey: without a bearer token or the
    link's header, a 401 before the body is read; the OpenAPI document shows both ways in.
    :func:`respondent` (innermost) then finds who answers."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if TOKEN not in request.headers:
            _principal()
        return view(*args, **kwargs)

    doc = getattr(wrapper, "_apidoc", {})
    manual = doc.get("manual_doc", {})
    wrapper._apidoc = {**doc, "manual_doc": {
        **manual, "security": [{"bearerAuth": []}, {}],
        "parameters": [*manual.get("parameters", []), {
            "in": "header", "name": TOKEN, "required": False, "schema": {"type": "string", "maxLength": 1000},
            "description": "the personal link's token (from the invitation email), instead of a login: "
                           "valid for its survey only, while it is open"}]}}
    return wrapper


def respondent(view):
    """The inner decorator of a member route of one survey (below the body's schema, so that a
    malformed body is refused alike for anyone): ``g.respondent`` and ``g.survey`` are set."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.respondent = _respondent(kwargs["survey_id"])
        g.survey = g.respondent.survey
        return view(*args, **kwargs)
    return wrapper


def _respondent_problems(view):
    for status, description in (
            (401, f"No bearer token and no {TOKEN}, or a {TOKEN} that was altered or expired "
                  f"(`errors.{TOKEN}`)."),
            (403, f"Not a verified member, or a {TOKEN} for another survey, a closed survey or a member "
                  f"no longer verified (`errors.{TOKEN}`)."),
            (404, "No such survey, or not one for the caller's audience.")):
        view = _problem_doc(status, description)(view)
    return view


def _answerable() -> None:
    if not surveys_store.is_answerable(g.survey, _now()):
        raise _closed()


def _answer_problem(errors: dict) -> Problem:
    return Problem(422, "Some answers are not valid.", kind="validation", errors={"answers": errors})


# --- the office --------------------------------------------------------------------------

@blp.route("/surveys")
class Surveys(MethodView):
    @require_auth("admin")
    @idempotent
    @blp.arguments(rules.SurveySchema)
    @blp.response(201, SurveyOutSchema)
    def post(self, body: dict):
        """Create a survey as a draft (admins).

        Sections of questions, every text in Bulgarian and English; conditions (`show_if`) on
        earlier questions only; a question may fill a profile field (`maps_to`, named surveys
        only). Problems are named by their place in the body (`sections.0.questions.1.choices`)
        or, across questions, by the question's id. Nothing is sent until it is opened."""
        survey = surveys_store.create(current_service().store, body, g.principal.subject, _now())
        return _out(survey, 0), 201, {"Location": url_for("surveys.Survey", survey_id=survey["_id"])}

    @require_auth("admin")
    @blp.arguments(SurveyListQuerySchema, location="query")
    @blp.response(200, SurveyPageSchema)
    def get(self, query: dict):
        """Surveys, newest first, each with its number of submitted responses (admins)."""
        items, total = surveys_store.page(_db(), query.get("status"), query["page"], query["per_page"])
        counts = surveys_store.respondents(_db(), [s["_id"] for s in items])
        return pagination.page([_out(s, counts[s["_id"]]) for s in items], query, total)


@blp.route("/surveys/<survey_id>")
class Survey(MethodView):
    @blp.doc(security=[{"bearerAuth": []}, {}], parameters=[{
        "in": "header", "name": TOKEN, "required": False, "schema": {"type": "string", "maxLength": 1000},
        "description": "the personal link's token, instead of a login"}])
    @blp.response(200, SurveyOutSchema)
    @_respondent_problems
    def get(self, survey_id: str):
        """A survey.

        Admins see any, with its figures; a member of its audience (or the holder of its
        personal link) sees its definition while it is open, and 404 otherwise."""
        principal = None if TOKEN in request.headers else optional_principal()
        if principal is not None and principal.is_admin:
            return _admin_out(_survey(survey_id))
        survey = _respondent(survey_id).survey
        if not surveys_store.is_answerable(survey, _now()):
            raise _not_found()
        return _member_out(survey)

    @require_auth("admin")
    @blp.arguments(rules.SurveySchema)
    @blp.response(200, SurveyOutSchema)
    @_problem_doc(409, "The survey is not a draft (`not-draft`): an open or closed survey does not change.")
    @_problem_doc(404, "No such survey.")
    def put(self, body: dict, survey_id: str):
        """Replace a draft's definition (admins)."""
        try:
            return _admin_out(surveys_store.replace_draft(current_service().store, survey_id, body, _now()))
        except surveys_store.NotFound:
            raise _not_found() from None
        except surveys_store.WrongPhase:
            raise Problem(409, "Only a draft can be changed.", kind="not-draft") from None

    @require_auth("admin")
    @blp.response(204)
    @_problem_doc(409, "The survey is not a draft (`not-draft`).")
    @_problem_doc(404, "No such survey.")
    def delete(self, survey_id: str):
        """Delete a draft (admins); an opened survey stays, with its answers."""
        try:
            surveys_store.delete_draft(current_service().store, survey_id)
        except surveys_store.NotFound:
            raise _not_found() from None
        except surveys_store.WrongPhase:
            raise Problem(409, "Only a draft can be deleted.", kind="not-draft") from None


@blp.route("/surveys/<survey_id>/open")
class OpenSurvey(MethodView):
    @require_auth("admin")
    @blp.response(200, SurveyOutSchema)
    @_problem_doc(409, "The survey is not a draft (`not-draft`).")
    @_problem_doc(422, "Its `closes_at` is past, or its audience's segment no longer exists (`errors`).")
    @_problem_doc(404, "No such survey.")
    def post(self, survey_id: str):
        """Open a draft (admins).

        Its audience is counted (`audience_size`: verified members
        matching it now) and `members.survey.opened` is published, so notifications invites
        the audience from `opens_at`. Answers are taken from `opens_at` until `closes_at`."""
        try:
            return _admin_out(surveys_store.open_survey(current_service().store, survey_id, _now()))
        except surveys_store.NotFound:
            raise _not_found() from None
        except surveys_store.WrongPhase:
            raise Problem(409, "Only a draft can be opened.", kind="not-draft") from None
        except surveys_store.Refused as refused:
            raise Problem(422, "The survey cannot be opened as it is.", kind="validation",
                          errors=refused.errors) from None


@blp.route("/surveys/<survey_id>/close")
class CloseSurvey(MethodView):
    @require_auth("admin")
    @blp.response(200, SurveyOutSchema)
    @_problem_doc(409, "The survey is not open (`not-open`).")
    @_problem_doc(404, "No such survey.")
    def post(self, survey_id: str):
        """Close an open survey now (admins).

        No more answers, no reminder. Publishes `members.survey.closed`."""
        try:
            return _admin_out(surveys_store.close_survey(current_service().store, survey_id, _now()))
        except surveys_store.NotFound:
            raise _not_found() from None
        except surveys_store.WrongPhase:
            raise Problem(409, "Only an open survey can be closed.", kind="not-open") from None


# --- members -----------------------------------------------------------------------------

@blp.route("/me/surveys")
class MySurveys(MethodView):
    @require_auth()
    @blp.response(200, MySurveysSchema)
    @_problem_doc(403, "Not a verified member.")
    def get(self):
        """The surveys open for me.

        Open now and for an audience that includes me, soonest to close first, each with where
        I am: `new`, `draft` or `submitted`."""
        member = _db().members.find_one({"_id": g.principal.subject})
        if member is None:
            return {"items": []}   # no member record (an office token): in no survey's audience
        if member.get("status") != "verified":
            raise Problem(403, "Surveys are for verified members.", kind="forbidden")
        surveys = surveys_store.open_for(_db(), member, _now())
        statuses = surveys_store.statuses(_db(), surveys, member["_id"])
        return {"items": [{"id": s["_id"], "title": s["title"], "description": s.get("description"),
                           "closes_at": s["closes_at"], "anonymous": s["anonymous"],
                           "questions": sum(1 for _ in rules.questions(s)), "my_status": statuses[s["_id"]]}
                          for s in surveys]}


@blp.route("/surveys/<survey_id>/response")
class MyResponse(MethodView):
    @respondent_route
    @blp.response(200, ResponseSchema)
    @_respondent_problems
    @respondent
    def get(self, survey_id: str):
        """My response to a survey.

        `new` (nothing saved), `draft` or `submitted`, with its answers (none for a submitted
        anonymous response: they are no longer linked to me)."""
        survey, member = g.survey, g.respondent.member
        found = surveys_store.mine(_db(), survey, member["_id"])
        open_now = surveys_store.is_answerable(survey, _now())
        if found is None:
            return {"status": "new", "answers": {}, "saved_at": None, "submitted_at": None, "editable": open_now}
        submitted = found["status"] == surveys_store.SUBMITTED
        if survey["anonymous"]:
            answers = {} if submitted else found.get("draft") or {}
            submitted_at = surveys_store.day_of(found["submitted_at"]) if submitted else None
            return {"status": found["status"], "answers": answers, "saved_at": found["saved_at"],
                    "submitted_at": submitted_at, "editable": open_now and not submitted}
        return {"status": found["status"], "answers": found["answers"], "saved_at": found["saved_at"],
                "submitted_at": found["submitted_at"], "editable": open_now}

    @respondent_route
    @blp.arguments(AnswersInSchema)
    @blp.response(200, ResponseSchema)
    @_respondent_problems
    @_problem_doc(409, "The survey is not open (`closed`), or the response was submitted (`submitted`): "
                       "change it by submitting again.")
    @_problem_doc(422, "Answers of the wrong form or to no question of the survey: `errors.answers` keyed by "
                       "question id.")
    @respondent
    def put(self, body: dict, survey_id: str):
        """Save my unfinished answers as a draft.

        To resume later: required questions may be left out; answers the later ones hide are
        kept (until the submission)."""
        _answerable()
        errors = rules.validate_answers(g.survey, body["answers"], final=False)
        if errors:
            raise _answer_problem(errors)
        try:
            saved = surveys_store.save_draft(current_service().store, g.survey, g.respondent.member,
                                             body["answers"], _now())
        except surveys_store.AlreadySubmitted:
            raise Problem(409, "Your response is submitted: change it by submitting again.",
                          kind="submitted") from None
        return {"status": saved["status"], "answers": body["answers"], "saved_at": saved["saved_at"],
                "submitted_at": None, "editable": True}


@blp.route("/surveys/<survey_id>/response/submit")
class Submission(MethodView):
    @respondent_route
    @blp.arguments(SubmitInSchema)
    @blp.response(200, SubmittedSchema)
    @_respondent_problems
    @_problem_doc(409, "The survey is not open (`closed`), or an anonymous response was submitted already "
                       "(`submitted`: it is final).")
    @_problem_doc(422, "`errors.answers` keyed by question id: wrong forms, required questions left "
                       "unanswered, answers to questions the other answers hide.")
    @respondent
    def post(self, body: dict, survey_id: str):
        """Submit my response (the answers sent, or else my saved draft).

        Answers to questions the other answers hide, and blank ones, are dropped first. One
        response per member: submitting a named survey again replaces the answers; an
        anonymous response is final. The first submission publishes
        `members.survey.completed` (for an anonymous survey with the day only). A named
        survey's answers may propose profile changes (`proposals`), which change nothing
        until I accept them (`POST .../proposals`)."""
        _answerable()
        survey, member = g.survey, g.respondent.member
        answers = body["answers"] if "answers" in body else surveys_store.saved_answers(_db(), survey, member["_id"])
        errors = rules.validate_answers(survey, answers, final=False)
        if not errors:
            answers = rules.drop_hidden(survey, answers)
            errors = rules.validate_answers(survey, answers, final=True)
        if errors:
            raise _answer_problem(errors)
        try:
            return surveys_store.submit(current_service().store, survey, member["_id"], answers, _now(),
                                        member=member)
        except surveys_store.Closed:
            raise _closed() from None
        except surveys_store.AlreadySubmitted:
            raise Problem(409, "Your anonymous response is submitted: it is final, as it is linked to no one.",
                          kind="submitted") from None
        except profiles_store.NotFound:
            raise _not_found() from None


@blp.route("/surveys/<survey_id>/proposals")
class Proposals(MethodView):
    @respondent_route
    @blp.response(200, ProposalsSchema)
    @_respondent_problems
    @respondent
    def get(self, survey_id: str):
        """The profile changes my answers propose.

        Each `pending`, `accepted` or `declined` (none for anonymous surveys or before the
        submission)."""
        found = surveys_store.mine(_db(), g.survey, g.respondent.member["_id"])
        if g.survey["anonymous"] or found is None or found["status"] != surveys_store.SUBMITTED:
            return {"proposals": []}
        return {"proposals": found["proposals"]}

    @respondent_route
    @blp.arguments(DecisionsInSchema)
    @blp.response(200, DecidedSchema)
    @_respondent_problems
    @_problem_doc(409, "A verified member's locked field (the alumni office corrects it).")
    @_problem_doc(422, "A field without a pending proposal, or an accepted value the profile does not take "
                       "(`errors.decisions` keyed by field).")
    @respondent
    def post(self, body: dict, survey_id: str):
        """Accept or decline proposed profile changes, each field once.

        Accepted ones go through the profile's own update (the same checks as
        `PATCH /api/v1/members/{member_id}`; publishes `members.member.updated`) with the
        value the answers propose for the profile as it is now; declined ones are kept as
        declined and not proposed again."""
        survey, member = g.survey, g.respondent.member
        decisions = body["decisions"]
        accepted = [f for f, d in decisions.items() if d == "accept"]
        patch = {}
        if accepted:
            found = surveys_store.mine(_db(), survey, member["_id"])
            answers = found.get("answers") or {} if found and not survey["anonymous"] else {}
            fresh = {p["field"]: p["new"] for p in rules.proposed_changes(survey, answers, member)}
            values = {f: fresh[f] for f in accepted if f in fresh}  # the others already hold the value
            try:
                patch = ProfileUpdateSchema().load(values) if values else {}
            except ValidationError as invalid:
                raise Problem(422, "The profile does not take this value.", kind="validation",
                              errors={"decisions": invalid.messages}) from None
        try:
            proposals, changed = surveys_store.decide_proposals(current_service().store, survey, member["_id"],
                                                                decisions, patch)
        except surveys_store.NotFound:
            raise Problem(422, "Nothing is proposed: no submitted response.", kind="validation",
                          errors={"decisions": {f: ["No pending proposal for this field."] for f in decisions}}) \
                from None
        except surveys_store.Refused as refused:
            raise Problem(422, "Some decisions are about no pending proposal.", kind="validation",
                          errors=refused.errors) from None
        except profiles_store.Locked as locked:
            raise Problem(409, "Verified against the university's records: the alumni office corrects these.",
                          kind="conflict", errors={"decisions": {f: ["Ask the alumni office to correct it."]
                                                                 for f in locked.fields}}) from None
        return {"proposals": proposals, "profile_changed": sorted(changed)}
