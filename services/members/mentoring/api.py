"""HTTP routes of mentoring: a mentor's offer and public card, a mentee's recommendations and
requests, the asked mentor's decision (signed in, or from the email's one-click link), and the
pair's mentorship (meetings, end, feedback).

- Refusals of the rules map in one table (``REFUSALS``): a request no longer waiting is a 409,
  one whose time passed or that was withdrawn a 410 (both saying what happened), someone who
  is not the asked mentor, the mentee or of the pair a 403.
- The one-click link (``shared.mentoringlink``, header ``X-Mentoring-Token`` or ``token`` in
  the body) is its own credential for one decision of one request. A second use answers 200
  with what was decided; a link whose request expired answers 410 with what happened.
- Settings: ``MENTORING_WEIGHTS`` (the score's weights), ``MENTORING_DEADLINE_S``,
  ``MENTORING_RECENT_YEARS`` (``shared.config``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import g, request
from flask.views import MethodView

from services.members.mentoring import rules
from services.members.mentoring import store as mentoring_store
from services.members.mentoring.schemas import (
    AskPageSchema,
    LoggedMeetingSchema,
    MeetingPageSchema,
    MentorCardSchema,
    MentoringDecisionInSchema,
    MentoringDecisionSchema,
    MentorshipPageSchema,
    MentorshipSchema,
    OfferSchema,
    RecommendationsQuerySchema,
    RecommendationsSchema,
    RequestPageSchema,
    RequestSchema,
)
from services.members.profiles.api import viewer_is_verified
from shared import mentoringlink
from shared.auth import optional_principal, require_auth
from shared.config import Config
from shared.web import pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("mentoring", __name__, url_prefix="/api/v1/members",
                description="Mentoring: offers, recommendations, requests and mentorships.")


@dataclass(frozen=True)
class Programme:
    weights: dict
    deadline: timedelta
    recent_years: int


def programme(config: Config) -> Programme:
    """The programme's settings; a bad ``MENTORING_WEIGHTS`` raises ValueError naming it (the
    app checks it at start, so a request never meets it)."""
    try:
        weights = rules.parse_weights(config.mentoring_weights)
    except ValueError as bad:
        raise ValueError(f"MENTORING_WEIGHTS: {bad}") from None
    return Programme(weights, timedelta(seconds=config.mentoring_deadline_s), config.mentoring_recent_years)


def _programme() -> Programme:
    service = current_service()
    if "mentoring" not in service.extras:
        service.extras["mentoring"] = programme(service.config)
    return service.extras["mentoring"]


def _now():
    return current_service().clock()


def _db():
    return current_service().store.db


# --------------------------------------------------------------------------- refusals

# reason -> status; the problem names the reason, the state and what became of the ask.
REFUSALS = {rules.NOT_PENDING: 409, rules.PAST_DEADLINE: 410, rules.NOT_ASKED: 403, rules.NOT_DUE: 409,
            rules.NOT_MENTEE: 403, rules.NOT_ACTIVE: 409, rules.NOT_ENDED: 409, rules.NOT_IN_PAIR: 403,
            rules.ALREADY_GIVEN: 409}
# What became of an ask that makes a decision on it impossible now: gone (410) or decided (409).
GONE = (rules.EXPIRED, rules.WITHDRAWN, rules.SKIPPED)


def _refused(refusal: rules.Refused) -> Problem:
    status = REFUSALS[refusal.reason]
    if refusal.reason == rules.NOT_PENDING and refusal.outcome in GONE:
        status = 410
    return Problem(status, str(refusal), kind=f"mentoring-{refusal.reason.replace('_', '-')}",
                   reason=refusal.reason, state=refusal.state, outcome=refusal.outcome)


def _not_found(what: str) -> Problem:
    return Problem(404, f"No such {what}.", kind="not-found")


def _member(member_id: str) -> dict:
    return mentoring_store.member(_db(), member_id)


def _names(member_ids) -> dict[str, dict]:
    return mentoring_store.names_of(_db(), member_ids)


# --------------------------------------------------------------------------- views

def _offer_out(offer: dict) -> dict:
    free = rules.free_places(offer, offer.get("active", 0), offer.get("pending", 0))
    return {**offer, "free_places": free, "offered": rules.is_offered(offer, offer.get("active", 0),
                                                                      offer.get("pending", 0))}


def _card(offer: dict, names: dict) -> dict:
    return {"id": offer["_id"], **names.get(offer["_id"], {}), **_offer_out(offer)}


def _request_out(request: dict, named: bool = True) -> dict:
    """``named``: with the mentors' names (not in a POST's answer, which an Idempotency-Key
    keeps as a stored reply that erasing a mentor would not find)."""
    names = _names(request["choices"]) if named else {}
    choices = [{"mentor_id": m, "choice": i + 1, "outcome": rules.outcome_for(request, m), **names.get(m, {})}
               for i, m in enumerate(request["choices"])]
    return {**request, "id": request["_id"], "choices": choices, "asked_mentor": rules.asked_mentor(request)}


def _ask_out(request: dict, mentor_id: str, names: dict | None = None) -> dict:
    names = _names([request["mentee_id"]]) if names is None else names
    outcome = rules.outcome_for(request, mentor_id)
    return {"id": request["_id"], "mentee_id": request["mentee_id"], **names.get(request["mentee_id"], {}),
            "message": request.get("message"), "choice": request["choices"].index(mentor_id) + 1, "outcome": outcome,
            "deadline": request["deadline"] if outcome == rules.PENDING else None,
            "mentorship_id": request.get("mentorship_id") if outcome == rules.ACCEPTED else None}


def _mentorship_out(mentorship: dict, member_id: str) -> dict:
    role = rules.side(mentorship, member_id)
    other = mentorship["mentee_id" if role == "mentor" else "mentor_id"]
    return {**mentorship, "id": mentorship["_id"], "role": role, "other": _names([other]).get(other, {}),
            "stalled": rules.is_stalled(mentorship, _now()), "my_feedback": rules.own_feedback(mentorship, member_id)}


def _in_pair(mentorship_id: str) -> dict:
    try:
        mentorship = mentoring_store.get_mentorship(_db(), mentorship_id)
    except mentoring_store.NotFound:
        raise _not_found("mentorship") from None
    try:
        rules.side(mentorship, g.principal.subject)
    except rules.Refused as refusal:
        raise _refused(refusal) from None
    return mentorship


# --------------------------------------------------------------------------- the offer

@blp.route("/me/mentoring/offer")
class MyOffer(MethodView):
    @require_auth()
    @blp.response(200, OfferSchema)
    def get(self):
        """The caller's mentoring offer (404: they offer none)."""
        offer = mentoring_store.offer_of(_db(), g.principal.subject)
        if offer is None:
            raise _not_found("offer")
        return _offer_out(offer)

    @require_auth()
    @blp.arguments(rules.MentorOfferSchema)
    @blp.response(200, OfferSchema)
    def put(self, body: dict):
        """Opt in as a mentor, or change the offer (the whole offer: topics, specialties, languages,
        formats, city, capacity, paused). Verified alumni only. Lowering the capacity below the
        mentees one has ends nothing: no new ones are asked until places free up."""
        member = _member(g.principal.subject)
        refusal = rules.mentor_refusal(member, opting_in=True)
        if refusal:
            raise Problem(403, "Only verified alumni may mentor.", kind="mentoring-not-a-mentor", reason=refusal)
        try:
            offer = mentoring_store.save_offer(current_service().store, member, body, _now())
        except ValueError as bad:
            raise Problem(422, "The offer has invalid fields.", kind="validation", errors=bad.args[0]) from None
        return _offer_out(offer)

    @require_auth()
    @blp.response(204)
    def delete(self):
        """Withdraw the offer (nothing to withdraw is fine); 409 while mentees are waiting for
        or working with the mentor: pause it instead."""
        try:
            mentoring_store.delete_offer(current_service().store, g.principal.subject)
        except mentoring_store.Busy:
            raise Problem(409, "Mentees are waiting for you or working with you: pause the offer instead.",
                          kind="mentoring-offer-busy") from None


@blp.route("/mentoring/mentors/<member_id>")
class MentorCard(MethodView):
    @require_auth()
    @blp.response(200, MentorCardSchema)
    def get(self, member_id: str):
        """A mentor's public card, for verified members (404: not a mentor)."""
        if not viewer_is_verified(g.principal):
            raise Problem(403, "Mentors are shown to verified members.", kind="forbidden")
        offer = mentoring_store.offer_of(_db(), member_id)
        if offer is None or rules.mentor_refusal(_member(member_id), opting_in=True):
            raise _not_found("mentor")
        return _card(offer, _names([member_id]))


# --------------------------------------------------------------------------- recommendations

def _mentee(member_id: str) -> dict:
    member = _member(member_id)
    refusal = rules.mentee_refusal(member, _now(), _programme().recent_years)
    if refusal:
        raise Problem(403, "Mentoring is for verified students and recent graduates.",
                      kind="mentoring-not-a-mentee", reason=refusal)
    return member


@blp.route("/me/mentoring/recommendations")
class Recommendations(MethodView):
    @require_auth()
    @blp.arguments(RecommendationsQuerySchema, location="query")
    @blp.response(200, RecommendationsSchema)
    def get(self, query: dict):
        """Mentors for the caller, best first, each with the factors of their score (weight,
        value, points). Students and recent graduates only. The candidates come from a few
        capped indexed queries (specialty, language, free places), never a scan of all mentors."""
        member = _mentee(g.principal.subject)
        limit = query.pop("limit")
        seeker = rules.seeker(member, query)
        asked = mentoring_store.already_asked(_db(), member["_id"])
        settings = _programme()
        candidates = mentoring_store.candidates(_db(), rules.candidate_query(seeker, asked))
        scores = rules.recommend(seeker, candidates, _now(), settings.weights, asked, limit)
        by_id = {c["id"]: c for c in candidates}
        names = _names([s.mentor_id for s in scores])
        return {"items": [{**s.as_dict(), "mentor": _card(by_id[s.mentor_id], names)} for s in scores],
                "weights": settings.weights}


# --------------------------------------------------------------------------- requests

@blp.route("/me/mentoring/requests")
class MyRequests(MethodView):
    @require_auth()
    @idempotent
    @blp.arguments(rules.MentorshipRequestSchema)
    @blp.response(201, RequestSchema)
    def post(self, body: dict):
        """Ask up to 3 mentors in order of preference: only the first available is asked (and
        has until the deadline); a decline or no answer asks the next. Publishes
        `members.mentorship.requested`. 409 when none of them can take a mentee now."""
        member = _mentee(g.principal.subject)
        db = _db()
        errors = rules.request_errors(body, member["_id"], mentoring_store.already_asked(db, member["_id"]))
        offered = mentoring_store.offered_of(db, body["mentors"])
        for position, mentor_id in enumerate(body["mentors"]):
            if mentor_id not in offered and position not in errors.get("mentors", {}):
                errors.setdefault("mentors", {})[position] = ["Not a mentor."]
        if errors:
            raise Problem(422, "The request has invalid fields.", kind="validation", errors=errors)
        try:
            created = mentoring_store.create_request(current_service().store, member["_id"], body["mentors"],
                                                     body["message"], _now(), _programme().deadline)
        except mentoring_store.NoneAvailable:
            raise Problem(409, "None of these mentors can take a mentee now: ask for new recommendations.",
                          kind="mentoring-none-available") from None
        return _request_out(created, named=False), 201

    @require_auth()
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, RequestPageSchema)
    def get(self, query: dict):
        """The caller's requests as a mentee, newest first."""
        items, total = mentoring_store.requests_page(_db(), g.principal.subject, query["page"], query["per_page"])
        return pagination.page([_request_out(r) for r in items], query, total)


@blp.route("/me/mentoring/asks")
class MyAsks(MethodView):
    @require_auth()
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, AskPageSchema)
    def get(self, query: dict):
        """The requests that ask or asked the caller as a mentor, newest first."""
        me = g.principal.subject
        items, total = mentoring_store.asks_page(_db(), me, query["page"], query["per_page"])
        names = _names({r["mentee_id"] for r in items})
        return pagination.page([_ask_out(r, me, names) for r in items], query, total)


def _link() -> mentoringlink.MentoringLink | None:
    token = request.headers.get(mentoringlink.HEADER)
    if token is None and request.is_json:
        body = request.get_json(silent=True)
        token = body.get("token") if isinstance(body, dict) else None
    if token is None:
        return None
    key = current_service().config.link_signing_key
    if not key:
        raise Problem(503, "Mentoring links are not configured.", kind="not-configured")
    try:
        return mentoringlink.read_token(key, token)
    except mentoringlink.BadMentoringLink:
        raise Problem(400, "The link is not valid: altered or signed with another key.", kind="invalid-token",
                      errors={"token": ["Altered or signed with another key."]}) from None


def _decide(request_id: str, decision: str) -> dict:
    """One decision of the asked mentor, signed in or by the link; a second one the same way
    answers with what was decided."""
    link = _link()
    if link is not None:
        if link.request_id != request_id or link.decision != decision:
            raise Problem(400, "The link is for another request or decision.", kind="invalid-token",
                          errors={"token": ["For another request or decision."]})
        mentor_id = link.member_id
    else:
        principal = optional_principal()
        if principal is None:
            raise Problem(401, "Sign in, or use the link in the email.", kind="unauthorized")
        mentor_id = principal.subject
    store = current_service().store
    try:
        asked = mentoring_store.get_request(store.db, request_id)
    except mentoring_store.NotFound:
        raise _not_found("request") from None
    wanted = rules.ACCEPTED if decision == mentoringlink.ACCEPT else rules.DECLINED
    outcome = rules.outcome_for(asked, mentor_id)
    if outcome == wanted:
        return {"ask": _ask_out(asked, mentor_id), "decided": wanted, "already": True}
    try:
        if decision == mentoringlink.ACCEPT:
            done, _ = mentoring_store.accept(store, request_id, mentor_id, _now())
        else:
            done = mentoring_store.decline(store, request_id, mentor_id, _now(), _programme().deadline)
    except rules.Refused as refusal:
        raise _refused(refusal) from None
    return {"ask": _ask_out(done, mentor_id), "decided": wanted, "already": False}


@blp.route("/mentoring/requests/<request_id>/accept")
class Accept(MethodView):
    @blp.arguments(MentoringDecisionInSchema)
    @blp.response(200, MentoringDecisionSchema)
    @blp.doc(security=[{"bearerAuth": []}, {}])
    def post(self, body: dict, request_id: str):
        """The asked mentor accepts (signed in, or with the email's one-click token): a
        mentorship starts. Publishes `members.mentorship.accepted`. 410 once the time to
        answer has passed or the mentee withdrew; a second accept answers 200 as the first."""
        return _decide(request_id, mentoringlink.ACCEPT)


@blp.route("/mentoring/requests/<request_id>/decline")
class Decline(MethodView):
    @blp.arguments(MentoringDecisionInSchema)
    @blp.response(200, MentoringDecisionSchema)
    @blp.doc(security=[{"bearerAuth": []}, {}])
    def post(self, body: dict, request_id: str):
        """The asked mentor declines (signed in, or with the one-click token): the next choice is
        asked. Publishes `members.mentorship.declined` (and `requested` for the next)."""
        return _decide(request_id, mentoringlink.DECLINE)


@blp.route("/mentoring/requests/<request_id>/withdraw")
class Withdraw(MethodView):
    @require_auth()
    @blp.response(200, RequestSchema)
    def post(self, request_id: str):
        """The mentee takes back a request still waiting; the asked mentor's place is free again."""
        try:
            done = mentoring_store.withdraw(current_service().store, request_id, g.principal.subject, _now())
        except mentoring_store.NotFound:
            raise _not_found("request") from None
        except rules.Refused as refusal:
            raise _refused(refusal) from None
        return _request_out(done)


# --------------------------------------------------------------------------- mentorships

@blp.route("/me/mentoring/mentorships")
class MyMentorships(MethodView):
    @require_auth()
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, MentorshipPageSchema)
    def get(self, query: dict):
        """The caller's mentorships, as mentor or mentee, newest first."""
        me = g.principal.subject
        items, total = mentoring_store.mentorships_page(_db(), me, query["page"], query["per_page"])
        return pagination.page([_mentorship_out(m, me) for m in items], query, total)


@blp.route("/mentoring/mentorships/<mentorship_id>/meetings")
class Meetings(MethodView):
    @require_auth()
    @idempotent
    @blp.arguments(rules.MeetingSchema)
    @blp.response(201, LoggedMeetingSchema)
    def post(self, body: dict, mentorship_id: str):
        """Either of the pair logs a meeting (date, minutes, topic; notes seen only by the pair).
        Publishes `members.mentorship.meeting_logged` (without the notes)."""
        mentorship = _in_pair(mentorship_id)
        errors = rules.meeting_errors(body, mentorship, _now())
        if errors:
            raise Problem(422, "The meeting has invalid fields.", kind="validation", errors=errors)
        try:
            meeting = mentoring_store.log_meeting(current_service().store, mentorship_id, g.principal.subject,
                                                  body, _now())
        except rules.Refused as refusal:
            raise _refused(refusal) from None
        # Without the notes: a stored reply (Idempotency-Key) must not keep a copy of them.
        return {**meeting, "id": meeting["_id"], "notes": None}, 201

    @require_auth()
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, MeetingPageSchema)
    def get(self, query: dict, mentorship_id: str):
        """The pair's meetings with their notes, newest first: the pair only."""
        _in_pair(mentorship_id)
        items, total = mentoring_store.meetings_page(_db(), mentorship_id, query["page"], query["per_page"])
        return pagination.page([{**m, "id": m["_id"]} for m in items], query, total)


def _pair_change(mentorship_id: str, change) -> dict:
    """One of the pair changes the mentorship (``change(store, caller)``); the caller's view."""
    _in_pair(mentorship_id)
    try:
        changed = change(current_service().store, g.principal.subject)
    except rules.Refused as refusal:
        raise _refused(refusal) from None
    return _mentorship_out(changed, g.principal.subject)


@blp.route("/mentoring/mentorships/<mentorship_id>/end")
class End(MethodView):
    @require_auth()
    @blp.arguments(rules.EndSchema)
    @blp.response(200, MentorshipSchema)
    def post(self, body: dict, mentorship_id: str):
        """Either of the pair ends the mentorship, optionally with feedback (1-5 and text) that
        the other side never sees. Publishes `members.mentorship.ended`."""
        return _pair_change(mentorship_id, lambda store, me: mentoring_store.end(
            store, mentorship_id, me, _now(), body.get("feedback")))


@blp.route("/mentoring/mentorships/<mentorship_id>/feedback")
class Feedback(MethodView):
    @require_auth()
    @blp.arguments(rules.FeedbackSchema)
    @blp.response(200, MentorshipSchema)
    def post(self, body: dict, mentorship_id: str):
        """The side that did not end the mentorship gives its feedback afterwards (1-5 and
        text), once; the other side never sees it. 409 before the end or when given already."""
        return _pair_change(mentorship_id, lambda store, me: mentoring_store.give_feedback(
            store, mentorship_id, me, body, _now()))
