"""HTTP routes of ambassadors: applications and the office's decisions, the ambassador's own
programme page and listing, the roster, the public finder and its questions (anonymous), the
contacts an ambassador answers and their activities (the office's report: ``report.py``).

- Who: applying needs a verified member with the role ``alumnus`` or ``student``; the
  office's routes need ``admin``; an ambassador's contacts are theirs (and the office's to
  read); replying or logging is theirs alone.
- The finder and the question are anonymous. A question is rate-limited per normalised email
  address (``rules.QUESTION_LIMIT`` per ``QUESTION_WINDOW``, counted in the store) and answered
  202 alike whether or not the ambassador exists or is listed, so nothing can be probed.
- The asker confirms with the email's link (``shared.decisionlink.ASKER_CONFIRMATION``:
  header ``X-Question-Token`` or ``token`` in the body): an altered token is a 403, a genuine
  one past its deadline a 410, a second confirmation 200 as the first.
- Settings: ``AMBASSADOR_REPLY_TARGET_S``, ``AMBASSADOR_ASKER_RETENTION_DAYS`` (``shared.config``).
"""
from __future__ import annotations

import math
from datetime import timedelta

from flask import g, request
from flask.views import MethodView

from services.members.accounts.schemas import normalise_email
from services.members.ambassadors import rules
from services.members.ambassadors import store as ambassadors_store
from services.members.ambassadors.schemas import (
    QUESTION_TOKEN_HEADER,
    ActivityOutSchema,
    ActivityPageSchema,
    AmbassadorOutSchema,
    ApplicationOutSchema,
    ApplicationPageSchema,
    ApplicationsQuerySchema,
    ContactOutSchema,
    ContactPageSchema,
    ContactsQuerySchema,
    FinderPageSchema,
    FinderQuerySchema,
    MyAmbassadorSchema,
    RosterPageSchema,
    RosterQuerySchema,
    StatusSchema,
)
from services.members.profiles.api import viewer_is_verified
from shared.auth import require_auth
from shared.decisionlink import ASKER_CONFIRMATION, BadDecisionLink
from shared.web import pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("ambassadors", __name__, url_prefix="/api/v1/members",
                description="Ambassadors: applications, the public finder, contacts and activities.")


def _now():
    return current_service().clock()


def _db():
    return current_service().store.db


def _store():
    return current_service().store


def _config():
    return current_service().config


def _reply_target() -> timedelta:
    return timedelta(seconds=_config().ambassador_reply_target_s)


def _not_found(what: str) -> Problem:
    return Problem(404, f"No such {what}.", kind="not-found")


def _invalid(errors: dict, what: str) -> Problem:
    return Problem(422, f"The {what} has invalid fields.", kind="validation", errors=errors)


def _names(member_ids) -> dict[str, dict]:
    profiles = ambassadors_store.profiles_of(_db(), member_ids)
    return {k: {"given_name": p.get("given_name"), "family_name": p.get("family_name")} for k, p in profiles.items()}


# --------------------------------------------------------------------------- who

def _verified() -> None:
    if not viewer_is_verified(g.principal):
        raise Problem(403, "The ambassador programme is for verified members.", kind="forbidden")


def _self(member_id: str) -> None:
    if g.principal.subject != member_id:
        raise Problem(403, "Only the ambassador may do this.", kind="forbidden")


def _self_or_admin(member_id: str) -> None:
    if g.principal.subject != member_id and not g.principal.is_admin:
        raise Problem(403, "Only the ambassador and the alumni office may do this.", kind="forbidden")


def _ambassador(member_id: str) -> dict:
    found = ambassadors_store.ambassador_of(_db(), member_id)
    if found is None:
        raise _not_found("ambassador")
    return found


# --------------------------------------------------------------------------- views

def _application_out(application: dict, names: dict | None = None) -> dict:
    return {**application, "id": application["_id"], "application_id": application["_id"],
            **(names or {}).get(application["member_id"], {})}


def _ambassador_out(ambassador: dict, names: dict | None = None) -> dict:
    return {**ambassador, "member_id": ambassador["_id"], "active": rules.is_active(ambassador, _now()),
            "term_starts": rules.day_of(ambassador["term_starts"]), "term_ends": rules.day_of(ambassador["term_ends"]),
            **(names or {}).get(ambassador["_id"], {})}


def _contact_out(contact: dict) -> dict:
    return {**contact, "id": contact["_id"], "contact_id": contact["_id"], "has_email": bool(contact.get("email")),
            "overdue": rules.is_overdue(contact, _now())}


def _activity_out(activity: dict) -> dict:
    return {**activity, "id": activity["_id"], "activity_id": activity["_id"]}


# --------------------------------------------------------------------------- applications

@blp.route("/ambassadors/applications")
class Applications(MethodView):
    @require_auth()
    @idempotent
    @blp.arguments(rules.ApplicationSchema)
    @blp.response(201, ApplicationOutSchema)
    def post(self, body: dict):
        """Apply to be an ambassador (verified alumni and students): why, countries, cities,
        languages, faculty. Publishes `members.ambassador.applied`. 409 with an application
        waiting, or while an active ambassador."""
        member = _db().members.find_one({"_id": g.principal.subject}) or {}
        refusal = rules.applicant_refusal(member)
        if refusal:
            raise Problem(403, "Verified alumni and students may apply.", kind="ambassadors-not-an-applicant",
                          reason=refusal)
        try:
            application = ambassadors_store.apply(_store(), member, body, _now())
        except ambassadors_store.OpenApplication:
            raise Problem(409, "Your application is waiting for the office.",
                          kind="ambassadors-application-open") from None
        except ambassadors_store.AlreadyAmbassador:
            raise Problem(409, "You are an ambassador already.", kind="ambassadors-already-ambassador") from None
        return _application_out(application), 201

    @require_auth("admin")
    @blp.arguments(ApplicationsQuerySchema, location="query")
    @blp.response(200, ApplicationPageSchema)
    def get(self, query: dict):
        """Applications, oldest first, by status (the office)."""
        items, total = ambassadors_store.applications_page(_db(), query["status"], query["page"], query["per_page"])
        names = _names({a["member_id"] for a in items})
        return pagination.page([_application_out(a, names) for a in items], query, total)


def _application(application_id: str) -> dict:
    try:
        return ambassadors_store.get_application(_db(), application_id)
    except ambassadors_store.NotFound:
        raise _not_found("application") from None


def _decided(status: str) -> Problem:
    return Problem(409, f"The application was {status} already.", kind="ambassadors-application-decided",
                   status_now=status)


@blp.route("/ambassadors/applications/<application_id>/appoint")
class Appoint(MethodView):
    @require_auth("admin")
    @blp.arguments(rules.TermSchema)
    @blp.response(200, AmbassadorOutSchema)
    def post(self, body: dict, application_id: str):
        """Appoint the applicant (the office): regions, languages and the term default to the
        application's and one year from today. Publishes `members.ambassador.appointed`."""
        application = _application(application_id)
        starts, ends = rules.default_term(_now())
        terms = {"regions": rules.regions_from(application), "languages": application["languages"],
                 "term_starts": starts, "term_ends": ends, **body}
        errors = rules.term_errors(terms["term_starts"], terms["term_ends"])
        if errors:
            raise _invalid(errors, "appointment")
        try:
            ambassador = ambassadors_store.appoint(_store(), application_id, terms, _now(), g.principal.subject)
        except ambassadors_store.Decided as decided:
            raise _decided(decided.args[0]) from None
        return _ambassador_out(ambassador)


@blp.route("/ambassadors/applications/<application_id>/decline")
class DeclineApplication(MethodView):
    @require_auth("admin")
    @blp.arguments(rules.DeclineSchema)
    @blp.response(200, ApplicationOutSchema)
    def post(self, body: dict, application_id: str):
        """Decline the application with a reason told to the member (the office). Publishes
        `members.ambassador.declined`."""
        _application(application_id)
        try:
            application = ambassadors_store.decline(_store(), application_id, body["reason"], _now(),
                                                    g.principal.subject)
        except ambassadors_store.Decided as decided:
            raise _decided(decided.args[0]) from None
        return _application_out(application)


# --------------------------------------------------------------------------- my programme

@blp.route("/me/ambassador")
class MyAmbassador(MethodView):
    @require_auth()
    @blp.response(200, MyAmbassadorSchema)
    def get(self):
        """The caller's latest application and ambassador record (each null when none)."""
        _verified()
        me = g.principal.subject
        application = ambassadors_store.latest_application(_db(), me)
        ambassador = ambassadors_store.ambassador_of(_db(), me)
        return {"application": application and _application_out(application),
                "ambassador": ambassador and _ambassador_out(ambassador)}

    @require_auth()
    @blp.arguments(rules.ListingSchema)
    @blp.response(200, AmbassadorOutSchema)
    def patch(self, body: dict):
        """The ambassador's listing in the public finder: listed or not, which fields are
        public, a bio in Bulgarian and English written for it. 404: not an ambassador."""
        _verified()
        try:
            return _ambassador_out(ambassadors_store.update_listing(_db(), g.principal.subject, body))
        except ambassadors_store.NotFound:
            raise _not_found("ambassador") from None


# --------------------------------------------------------------------------- the roster

@blp.route("/ambassadors")
class Roster(MethodView):
    @require_auth("admin")
    @blp.arguments(RosterQuerySchema, location="query")
    @blp.response(200, RosterPageSchema)
    def get(self, query: dict):
        """The ambassadors (the office), by country and whether in their term today."""
        items, total = ambassadors_store.roster_page(_db(), query["country"], query["active"], _now(), query["page"],
                                                     query["per_page"])
        names = _names({a["_id"] for a in items})
        return pagination.page([_ambassador_out(a, names) for a in items], query, total)


@blp.route("/ambassadors/<member_id>")
class Ambassador(MethodView):
    @require_auth("admin")
    @blp.arguments(rules.TermSchema)
    @blp.response(200, AmbassadorOutSchema)
    def patch(self, body: dict, member_id: str):
        """Change an ambassador's regions, languages or term (the office)."""
        current = _ambassador(member_id)
        merged = {**current, **{k: v.isoformat() if k.startswith("term_") else v for k, v in body.items()}}
        errors = rules.term_errors(rules.day_of(merged["term_starts"]), rules.day_of(merged["term_ends"]))
        if errors:
            raise _invalid(errors, "term")
        return _ambassador_out(ambassadors_store.change_term(_db(), member_id, body))


@blp.route("/ambassadors/<member_id>/end")
class EndTerm(MethodView):
    @require_auth("admin")
    @blp.response(200, AmbassadorOutSchema)
    def post(self, member_id: str):
        """End the ambassador's term today (the office): out of the finder at once."""
        try:
            return _ambassador_out(ambassadors_store.end(_db(), member_id, _now()))
        except ambassadors_store.NotFound:
            raise _not_found("ambassador") from None


# --------------------------------------------------------------------------- the public finder

@blp.route("/ambassadors/finder")
class Finder(MethodView):
    @blp.arguments(FinderQuerySchema, location="query")
    @blp.response(200, FinderPageSchema)
    @blp.doc(security=[])
    def get(self, query: dict):
        """Listed ambassadors in their term, by country and language (anyone, no login): each
        with a random `public_id`, their regions and languages and only the fields they made
        public; never a member id, email or phone."""
        now = _now()
        items, total = ambassadors_store.finder_page(_db(), query["country"], query["language"], now, query["page"],
                                                     query["per_page"])
        profiles = ambassadors_store.profiles_of(_db(), [a["_id"] for a in items])
        return pagination.page([rules.finder_card(a, profiles.get(a["_id"], {})) for a in items], query, total)


@blp.route("/ambassadors/finder/<public_id>/questions")
class Questions(MethodView):
    @blp.arguments(rules.AskedQuestionSchema)
    @blp.response(202, StatusSchema)
    @blp.alt_response(429, description="More than 3 questions from the address in 24 hours (problem+json).")
    @blp.doc(security=[])
    def post(self, body: dict, public_id: str):
        """Ask a listed ambassador a question (anyone, no login): the asker gets a link to
        confirm their address, and only then does the ambassador see it. The same 202 whatever
        the ambassador. At most 3 questions per address in 24 hours (429). Publishes
        `members.ambassador.question_asked`."""
        now = _now()
        key = rules.email_key(normalise_email(body["email"]))
        wait = ambassadors_store.take_question_place(_db(), key, now)
        if wait is not None:
            raise Problem(429, "Too many questions from this address. Try again later.", kind="too-many-requests",
                          headers={"Retry-After": str(max(1, math.ceil(wait)))})
        ambassador = ambassadors_store.listed(_db(), public_id, now)
        if ambassador is not None:
            retention = timedelta(days=_config().ambassador_asker_retention_days)
            ambassadors_store.ask(_store(), ambassador, {**body, "email": normalise_email(body["email"])}, now,
                                  retention)
        return {"status": "confirm_email"}, 202


def _link(question_id: str, body: dict):
    token = request.headers.get(QUESTION_TOKEN_HEADER) or body.get("token")
    key = _config().link_signing_key
    if not key:
        raise Problem(503, "Confirmation links are not configured.", kind="not-configured")
    try:
        link = ASKER_CONFIRMATION.read_token(key, token) if token else None
    except BadDecisionLink:
        link = None
    if link is None or link.object_id != question_id or link.person_id != "" or link.decision != "confirm":
        raise Problem(403, "The link is not valid: altered, incomplete or for another question.",
                      kind="invalid-token", errors={"token": ["Not a valid link for this question."]})
    return link


@blp.route("/ambassadors/questions/<question_id>/confirm")
class ConfirmQuestion(MethodView):
    @blp.arguments(rules.ConfirmSchema)
    @blp.response(200, StatusSchema)
    @blp.doc(security=[])
    def post(self, body: dict, question_id: str):
        """The asker confirms their address with the email's link (header `X-Question-Token`,
        or `token` in the body): the question becomes a contact of the ambassador, due in
        `AMBASSADOR_REPLY_TARGET_S`. Publishes `members.ambassador.contact_assigned`. 403: a
        bad token; 410: the link's time has passed; a second confirmation answers 200."""
        link, now = _link(question_id, body), _now()
        try:
            question = ambassadors_store.get_question(_db(), question_id)
        except ambassadors_store.NotFound:
            raise _not_found("question") from None
        if question["state"] == rules.CONFIRMED:
            return {"status": "confirmed"}
        if link.expired(now) or now >= question["confirm_until"] or question["state"] == rules.ERASED:
            raise Problem(410, "The link's time has passed: ask your question again.", kind="link-expired")
        try:
            ambassadors_store.confirm(_store(), question_id, now, _reply_target())
        except ambassadors_store.Gone:
            raise Problem(410, "The question is no longer kept: ask it again.", kind="link-expired") from None
        return {"status": "confirmed"}


# --------------------------------------------------------------------------- contacts

@blp.route("/ambassadors/<member_id>/contacts")
class Contacts(MethodView):
    @require_auth("admin")
    @idempotent
    @blp.arguments(rules.ContactSchema)
    @blp.response(201, ContactOutSchema)
    def post(self, body: dict, member_id: str):
        """Assign a contact to the ambassador (the office): a prospective or newly arrived
        international student, a graduate abroad; due in `reply_target_h` hours (default
        `AMBASSADOR_REPLY_TARGET_S`). Publishes `members.ambassador.contact_assigned`."""
        _ambassador(member_id)
        hours = body.get("reply_target_h")
        target = timedelta(hours=hours) if hours else _reply_target()
        contact = ambassadors_store.assign(_store(), member_id, body, _now(), target, g.principal.subject)
        return _contact_out(contact), 201

    @require_auth()
    @blp.arguments(ContactsQuerySchema, location="query")
    @blp.response(200, ContactPageSchema)
    def get(self, query: dict, member_id: str):
        """The ambassador's contacts, soonest due first, open by default (the ambassador, the
        office): each with its due time, whether overdue, the question or note, the contact's
        name and language (never their address)."""
        _self_or_admin(member_id)
        _ambassador(member_id)
        state = None if query["state"] == "all" else query["state"]
        items, total = ambassadors_store.contacts_page(_db(), member_id, state, query["page"], query["per_page"])
        return pagination.page([_contact_out(c) for c in items], query, total)


def _answer(member_id: str, contact_id: str, reply: dict) -> dict:
    _self(member_id)
    try:
        contact = ambassadors_store.get_contact(_db(), member_id, contact_id)
    except ambassadors_store.NotFound:
        raise _not_found("contact") from None
    if reply["via"] == rules.VIA_LOGGED:
        errors = rules.log_errors(reply, contact, _now())
        if errors:
            raise _invalid(errors, "logged contact")
    contact, _ = ambassadors_store.answer(_store(), member_id, contact_id, reply, _now())
    return _contact_out(contact)


@blp.route("/ambassadors/<member_id>/contacts/<contact_id>/reply")
class Reply(MethodView):
    @require_auth()
    @blp.arguments(rules.ReplySchema)
    @blp.response(200, ContactOutSchema)
    def post(self, body: dict, member_id: str, contact_id: str):
        """The ambassador replies: the message is emailed to the contact (when they gave an
        address) by notifications. Another reply later is sent too; the first counts for the
        reply time. Publishes `members.ambassador.contact_replied` (`via: reply`)."""
        return _answer(member_id, contact_id, {"via": rules.VIA_REPLY, "message": body["message"]})


@blp.route("/ambassadors/<member_id>/contacts/<contact_id>/log")
class LogContact(MethodView):
    @require_auth()
    @blp.arguments(rules.LogSchema)
    @blp.response(200, ContactOutSchema)
    def post(self, body: dict, member_id: str, contact_id: str):
        """The ambassador logs a reply given elsewhere (channel, day, note): nothing is sent.
        Publishes `members.ambassador.contact_replied` (`via: logged`)."""
        return _answer(member_id, contact_id, {"via": rules.VIA_LOGGED, **body})


# --------------------------------------------------------------------------- activities

@blp.route("/ambassadors/<member_id>/activities")
class Activities(MethodView):
    @require_auth()
    @idempotent
    @blp.arguments(rules.ActivitySchema)
    @blp.response(201, ActivityOutSchema)
    def post(self, body: dict, member_id: str):
        """Log an activity (the ambassador, the office): a conversation, a school talk, a fair,
        a referral, an event hosted, with its day (not in the future), place and people
        reached. Publishes `members.ambassador.activity_logged`."""
        _self_or_admin(member_id)
        _ambassador(member_id)
        errors = rules.activity_errors(body, _now())
        if errors:
            raise _invalid(errors, "activity")
        activity = ambassadors_store.log_activity(_store(), member_id, body, _now(), g.principal.subject)
        return _activity_out(activity), 201

    @require_auth()
    @blp.arguments(pagination.PageQuerySchema, location="query")
    @blp.response(200, ActivityPageSchema)
    def get(self, query: dict, member_id: str):
        """The ambassador's activities, newest first (the ambassador, the office)."""
        _self_or_admin(member_id)
        _ambassador(member_id)
        items, total = ambassadors_store.activities_page(_db(), member_id, query["page"], query["per_page"])
        return pagination.page([_activity_out(a) for a in items], query, total)
