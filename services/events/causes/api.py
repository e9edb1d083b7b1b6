"""HTTP routes of causes: the office drafts, publishes and closes them; members of a cause's
audience list and read them, join a role (or pledge items) and leave; those who run a cause
(admins and its owner) see its volunteers, confirm their hours and move a campaign's progress.

- Who sees a cause is ``rules.visible``: to anyone else it does not exist (404), so nobody
  joins a cause they cannot see; seeing a cause without running it makes the owner's routes a
  403. The audience is decided as for events, on the events read model of members.
- Refusals of the rules map in one table: the cause's or volunteer's state is a 409, the
  request (a closed or past-deadline joining, a quantity, hours, a day) a 422 naming the field.
- Creating a cause, joining and confirming hours honour ``Idempotency-Key``.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import g, url_for
from flask.views import MethodView

from services.events import audience, readmodel_store
from services.events.api import Admission, caller_fits, fits_of
from services.events.causes import rules
from services.events.causes import store as causes_store
from services.events.causes.schemas import (
    CauseCreateSchema,
    CauseListQuerySchema,
    CausePageSchema,
    CauseSchema,
    CauseUpdateSchema,
    HoursRecordSchema,
    HoursSchema,
    JoinSchema,
    ProgressSchema,
    VolunteerPageSchema,
    VolunteersQuerySchema,
    VolunteerSchema,
)
from shared.auth import require_auth
from shared.web import pagination
from shared.web.app import current_service
from shared.web import idempotency
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("causes", __name__, url_prefix="/api/v1/events/causes",
                description="Causes: volunteering calls, in-kind collections and campaigns.")

# Refusals about the state of the cause or of a volunteer; every other refusal is the request's.
CONFLICTS = {"cause-closed", "roles-fixed", "not-published", "not-campaign", "already-volunteering",
             "not-volunteering", "not-joined", "volunteer-erased", "hours-already-confirmed", "deadline-passed"}
VOLUNTEER_FIELDS = ("cause_id", "role_id", "member_id", "status", "quantity", "note", "hours_total", "requested_at",
                    "joined_at", "promoted_at", "left_at", "left_reason")


def now() -> datetime:
    return current_service().clock()


def _store():
    return current_service().store


def _refused(refusal: rules.Refusal) -> Problem:
    if refusal.kind in CONFLICTS:
        return Problem(409, str(refusal), kind=refusal.kind)
    return Problem(422, str(refusal), kind="validation", errors={refusal.field or "_schema": [str(refusal)]})


def _invalid(error: causes_store.Invalid) -> Problem:
    return Problem(422, str(error), kind="validation", errors=error.errors)


def _not_found(what: str = "cause") -> Problem:
    return Problem(404, {"cause": "No such cause.", "role": "The cause has no such role.",
                         "volunteer": "No such volunteer of this cause."}[what], kind="not-found")


# --------------------------------------------------------------------------- views

def role_view(cause: dict, role: dict) -> dict:
    counts = cause["counts"][role["role_id"]]
    return {**role, "filled": counts["filled"], "slots_left": rules.slots_left(role, counts),
            "waiting": counts["waiting"]}


def volunteer_view(volunteer: dict, place: int | None, names: dict | None = None) -> dict:
    shown = {"volunteer_id": volunteer["_id"], **{k: volunteer.get(k) for k in VOLUNTEER_FIELDS},
             "position": place if volunteer["status"] == rules.WAITLISTED else None}
    if names is not None:
        shown.update(names.get(volunteer["member_id"]) or {"given_name": None, "family_name": None})
    return shown


def cause_view(cause: dict, fits: bool | None, mine: list | None = None) -> dict:
    shown = {"id": cause["_id"], **{k: v for k, v in cause.items() if k not in ("_id", "counts", "created_by")},
             "roles": [role_view(cause, role) for role in cause["roles"]], "progress": rules.progress(cause),
             "joining_open": cause["status"] == rules.PUBLISHED and now() < cause["deadline"], "fits_me": bool(fits)}
    if mine is not None:
        shown["mine"] = [volunteer_view(v, place) for v, place in mine]
    return shown


def shown(cause_id: str, principal) -> tuple[dict, bool | None]:
    """The cause and whether the caller is in its audience, if they may see it (404 otherwise)."""
    try:
        cause = causes_store.get(_store().db, cause_id)
    except causes_store.NotFound:
        raise _not_found() from None
    fits = caller_fits(cause, principal)
    if not rules.visible(cause, principal, bool(fits)):
        raise _not_found()
    return cause, fits


def _running(principal):
    """The guard of the owner's routes, run on the cause inside the store's transaction."""
    def guard(cause: dict) -> None:
        if not rules.runs(cause, principal):
            raise Problem(403, "Only the office and the cause's owner do this.", kind="forbidden")
    return guard


def _running_seen(principal):
    """``_running``, for a route that reads the cause only in its transaction: those who do not
    run it learn it does not exist (404) unless they see it (then 403), as after ``shown``."""
    def guard(cause: dict) -> None:
        if not rules.runs(cause, principal):
            shown(cause["_id"], principal)  # a refusal's extra reads, outside the transaction
            _running(principal)(cause)
    return guard


def _editing(principal):
    def guard(cause: dict) -> None:
        if not rules.may_edit(cause, principal):
            raise Problem(403, "The office edits a cause; its owner only while it is a draft.", kind="forbidden")
    return guard


def _call(work):
    """Run a store call, answering its refusals as problems."""
    try:
        return work()
    except causes_store.NotFound as error:
        raise _not_found(error.what) from None
    except causes_store.Invalid as error:
        raise _invalid(error) from None
    except rules.Refusal as refusal:
        raise _refused(refusal) from None


# --------------------------------------------------------------------------- routes

@blp.route("")
class Causes(MethodView):
    @require_auth("admin")
    @idempotent
    @blp.arguments(CauseCreateSchema)
    @blp.response(201, CauseSchema)
    @blp.alt_response(422, description="Fields that contradict the kind (a campaign's goal, the roles), or a "
                                       "deadline passed.")
    def post(self, data: dict):
        """Draft a cause (admins): a volunteering call with roles and slots, an in-kind
        collection (roles are the items, slots the quantity wanted) or a campaign with a goal
        and perhaps the university's donation page. `owner_id` names the member who runs it
        (default: the admin). Nothing is announced until it is published."""
        if data.get("goal") is not None:
            data["goal"] = {**data["goal"], "current": 0.0}
        cause = _call(lambda: causes_store.create(_store(), data, g.principal.subject, now()))
        if cause["owner_id"] != g.principal.subject:
            idempotency.about(cause["owner_id"])  # a stored reply names the owner: their erasure purges it
        return cause_view(cause, True), 201, {"Location": url_for("causes.Cause", cause_id=cause["_id"])}

    @require_auth()
    @blp.arguments(CauseListQuerySchema, location="query")
    @blp.response(200, CausePageSchema)
    def get(self, query: dict):
        """Causes, the nearest deadline first: to admins all (`status` keeps one); to members
        the published causes of their audience (`status=closed`: the closed ones) and those
        they own (`status=draft`: their drafts). `kind` keeps some kinds."""
        principal, db = g.principal, _store().db
        status = query.get("status")
        if principal.is_admin:
            statuses = [status] if status else list(rules.STATUSES)
            found = causes_store.listing(statuses, query.get("kind"))
            member, segments = None, {}
        else:
            base = causes_store.listing([status or rules.PUBLISHED], query.get("kind"))
            member = readmodel_store.member(db, principal.subject)
            segments = readmodel_store.segments_named(db[causes_store.CAUSES], base) \
                if audience.verified(member) else {}
            found = {"$and": [base, {"$or": [{"owner_id": principal.subject}, {
                "$and": [{"status": {"$ne": rules.DRAFT}}, audience.fitting(member, segments)]}]}]}
        items, total = causes_store.page(db, found, query["page"], query["per_page"])
        return pagination.page([cause_view(c, fits_of(c, principal, member, segments)) for c in items], query, total)


@blp.route("/<cause_id>")
class Cause(MethodView):
    @require_auth()
    @blp.response(200, CauseSchema)
    def get(self, cause_id: str):
        """One cause with its roles (slots left, waiting), its progress and the caller's own
        requests (`mine`): to admins and its owner always, to the verified members of its
        audience once published (404 to anyone else)."""
        cause, fits = shown(cause_id, g.principal)
        return cause_view(cause, fits, causes_store.mine(_store().db, cause_id, g.principal.subject))

    @require_auth()
    @blp.arguments(CauseUpdateSchema)
    @blp.response(200, CauseSchema)
    @blp.alt_response(403, description="Not the office, nor the owner of a draft.")
    @blp.alt_response(409, description="The cause is closed, or its roles are fixed (published).")
    def patch(self, changes: dict, cause_id: str):
        """Edit a cause: admins any time until it is closed, its owner while it is a draft. A
        published cause keeps its roles (volunteers hold their slots). Only admins name
        another owner."""
        _, fits = shown(cause_id, g.principal)
        if "owner_id" in changes and not g.principal.is_admin:
            raise Problem(403, "Only the office names a cause's owner.", kind="forbidden")
        cause = _call(lambda: causes_store.update(_store(), cause_id, changes, now(), _editing(g.principal),
                                                          g.principal.subject))
        return cause_view(cause, fits)


@blp.route("/<cause_id>/publish")
class Publication(MethodView):
    @require_auth("admin")
    @blp.response(200, CauseSchema)
    @blp.alt_response(409, description="The cause is closed, or its deadline has passed.")
    def post(self, cause_id: str):
        """Publish a draft (admins): members of its audience see it and may join, and
        `events.cause.published` lets notifications announce it (consent category `causes`).
        Publishing again changes nothing."""
        cause, _ = _call(lambda: causes_store.publish(_store(), cause_id, now()))
        return cause_view(cause, True)


@blp.route("/<cause_id>/close")
class Closing(MethodView):
    @require_auth()
    @blp.response(200, CauseSchema)
    @blp.alt_response(403, description="Not the office nor the cause's owner.")
    @blp.alt_response(409, description="A draft: never published.")
    def post(self, cause_id: str):
        """Close a cause (admins and its owner): joining ends, the waiting requests end
        (`events.volunteer.left`, reason `cause_closed`) and `events.cause.closed` names those
        joined or waiting. Joined volunteers' hours may still be confirmed. Closing again
        changes nothing."""
        _, fits = shown(cause_id, g.principal)
        cause, _ = _call(lambda: causes_store.close(_store(), cause_id, now(), _running(g.principal)))
        return cause_view(cause, fits)


@blp.route("/<cause_id>/progress")
class Progress(MethodView):
    @require_auth()
    @blp.arguments(ProgressSchema)
    @blp.response(200, CauseSchema)
    @blp.alt_response(403, description="Not the office nor the cause's owner.")
    @blp.alt_response(409, description="Not a campaign, or closed.")
    def post(self, body: dict, cause_id: str):
        """Set what a campaign has reached (admins and its owner); its progress follows."""
        _, fits = shown(cause_id, g.principal)
        cause = _call(lambda: causes_store.set_progress(_store(), cause_id, body["current"], now(),
                                                        _running(g.principal)))
        return cause_view(cause, fits)


@blp.route("/<cause_id>/roles/<role_id>/volunteers")
class Volunteering(MethodView):
    @require_auth()
    @idempotent
    @blp.arguments(JoinSchema)
    @blp.response(201, VolunteerSchema, description="Joined, or waiting with its place in the queue.")
    @blp.alt_response(403, description="Not in the cause's audience (or not a verified member).")
    @blp.alt_response(404, description="No such cause or role, or a cause the caller does not see.")
    @blp.alt_response(409, description="Already joined or waiting for this role; or a draft.")
    @blp.alt_response(422, description="Closed or past the deadline; a quantity missing, not wanted or larger "
                                       "than what is still wanted.")
    def post(self, body: dict, cause_id: str, role_id: str):
        """Join a role (the caller, a verified member of the cause's audience; admins always):
        joined if it fits the slots left, else waiting in FIFO order (`position`: the place in
        the queue); `events.volunteer.joined` either way. A collection's item takes a
        `quantity` pledged."""
        principal = g.principal
        # Seen (404) and admitted (403) in the joining transaction, on one read of the caller.
        admission = Admission(principal, doing="join causes", thing="cause", visible=rules.visible,
                              missing=_not_found)
        volunteer, place = _call(lambda: causes_store.join(
            _store(), cause_id, role_id, principal.subject, body["quantity"], body["note"], now(), admission))
        return volunteer_view(volunteer, place), 201


@blp.route("/<cause_id>/roles/<role_id>/volunteers/me")
class MyVolunteering(MethodView):
    @require_auth()
    @blp.response(200, VolunteerSchema, description="The request, ended.")
    @blp.alt_response(404, description="Not joined or waiting for this role.")
    @blp.alt_response(409, description="The cause is closed.")
    def delete(self, cause_id: str, role_id: str):
        """Leave a role (`events.volunteer.left`, reason `member`): the slots it held go to the
        first waiting requests that fit (`events.volunteer.joined` with `promoted: true`)."""
        shown(cause_id, g.principal)
        volunteer = _call(lambda: causes_store.leave(_store(), cause_id, role_id, g.principal.subject, "member",
                                                     now()))
        return volunteer_view(volunteer, None)


@blp.route("/<cause_id>/volunteers")
class Volunteers(MethodView):
    @require_auth()
    @blp.arguments(VolunteersQuerySchema, location="query")
    @blp.response(200, VolunteerPageSchema)
    @blp.alt_response(403, description="Not the office nor the cause's owner.")
    def get(self, query: dict, cause_id: str):
        """A cause's volunteers with their names (admins and its owner): by role, joined then
        waiting in FIFO order; `status` (joined, waitlisted, left) and `role_id` keep some."""
        cause, _ = shown(cause_id, g.principal)
        _running(g.principal)(cause)
        db = _store().db
        items, total = causes_store.volunteers(db, cause_id, query.get("status"), query.get("role_id"),
                                               query["page"], query["per_page"])
        names = readmodel_store.names(db, [v["member_id"] for v, _ in items if v["member_id"]])
        return pagination.page([volunteer_view(v, place, names) for v, place in items], query, total)


@blp.route("/<cause_id>/volunteers/<volunteer_id>/hours")
class Hours(MethodView):
    @require_auth()
    @idempotent
    @blp.arguments(HoursSchema)
    @blp.response(201, HoursRecordSchema)
    @blp.alt_response(403, description="Not the office nor the cause's owner.")
    @blp.alt_response(409, description="Not a joined volunteer of a volunteering call, or that day is confirmed "
                                       "already.")
    @blp.alt_response(422, description="Hours outside 0.5 to 24, or a day to come.")
    def post(self, body: dict, cause_id: str, volunteer_id: str):
        """Confirm the hours a volunteer gave on a day (admins and the cause's owner), once per
        volunteer and day: `events.volunteer.hours_confirmed` (the awards service credits it)."""
        principal = g.principal
        record = _call(lambda: causes_store.confirm_hours(
            _store(), cause_id, volunteer_id, body["hours"], body["on"], body["note"], principal.subject, now(),
            _running_seen(principal)))
        idempotency.about(record["member_id"])  # a stored reply names the volunteer: their erasure purges it
        return {**record, "on": date.fromisoformat(record["on"])}, 201
