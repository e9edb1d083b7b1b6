"""HTTP routes of member records: sign-up, profiles (with per-field visibility), the
office's member list, and its verification decisions."""
from __future__ import annotations

from flask import Response, g, jsonify
from flask.views import MethodView

from services.members.accounts import rules as accounts
from services.members.accounts.api import rate_limited
from services.members.profiles import rules as profiles
from services.members.profiles import store as profiles_store
from services.members.roster import store as roster_store
from services.members.signup import store as signup
from services.members.profiles.schemas import (
    DecisionSchema,
    MemberListQuerySchema,
    MemberPageSchema,
    MemberSchema,
    ProfileUpdateSchema,
    RejectionSchema,
    RolesSchema,
    SignUpSchema,
)
from services.members.schemas import AcceptedSchema
from shared import memberfilter
from shared.auth import optional_principal, require_auth
from shared.logs import current_correlation_id
from shared.web import idempotency, pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("members", __name__, url_prefix="/api/v1/members",
                description="Sign-up, profiles and verification of members.")
DERIVED = memberfilter.DERIVED_FIELDS


def full_view(member: dict) -> dict:
    """What the member and the office see: everything, with the effective visibility."""
    shown = {k: v for k, v in member.items() if k not in DERIVED and k != "_id"}
    return {"id": member["_id"], **shown, "visibility": profiles.visibility_of(member),
            "in_directory": member.get("in_directory", True)}


def office_view(members: list[dict]) -> list[dict]:
    """The office's view of members: each with the roster entry its sign-up matched by student
    number and family name, for the admin deciding (never shown to the member)."""
    matches = roster_store.candidates_of(current_service().store.db,
                                         [m["_id"] for m in members if m.get("status") == "pending_verification"])
    return [{**full_view(m), "roster_match": matches.get(m["_id"])} for m in members]


def as_shown(shown: dict) -> Response:
    """Another member's view (``profiles.view``) as JSON, without MemberSchema's dump: it holds
    only MemberSchema's profile fields with the JSON values they were stored as (the schema
    loaded them), which the dump would copy unchanged, at a tenth of the request's CPU.
    tests/unit/test_members_profiles.py holds the two equal."""
    return jsonify(shown)


SIGNUP_ACCEPTED = {"status": "accepted",
                   "detail": "Check your email: we have sent a message to this address. Follow its link to "
                             "confirm the address before you log in."}


def _not_found() -> Problem:
    return Problem(404, "No such member.", kind="not-found")


def viewer_is_verified(principal) -> bool:
    service = current_service()
    viewers = service.extras.setdefault("verified_viewers", profiles_store.VerifiedViewers())
    return principal.is_admin or viewers.is_verified(service.store.db, principal.subject)


def _owner_or_admin(member_id: str) -> None:
    if g.principal.subject != member_id and not g.principal.is_admin:
        raise Problem(403, "Only the member and the alumni office may do this.", kind="forbidden")


@blp.route("")
class Members(MethodView):
    @rate_limited("signup")
    @idempotent
    @blp.arguments(SignUpSchema)
    @blp.response(202, AcceptedSchema)
    @blp.alt_response(429, description="Too many sign-ups from this address or for this email (problem+json, "
                                       "`Retry-After`).")
    def post(self, data: dict):
        """Sign up as a member.

        Always the same 202 ("check your email"), whether the address is new, already
        registered or on the alumni roster: nothing here tells who is a member. A new address
        gets a welcome email with a link that confirms it (`/auth/confirm-email`); until then
        no password opens the account, and confirming revokes any password or session made
        before. A registered address gets an email saying it already has an account (log in,
        or reset the password) and nothing is created. A sign-up whose email is in the alumni
        roster is verified when the address is confirmed; one whose student number and family
        name match a roster entry without an email waits for the office like any other, the
        entry shown beside it in the queue. Nothing from the roster is returned before
        verification. Publishes `members.member.registered` (or
        `members.member.signed_up_again`). New members have the role `alumnus`, or `student`
        with `is_student: true`. Rate-limited per client address and per email. Send an
        `Idempotency-Key` header to make retries safe.
        """
        password = data.pop("password", None)
        roles = accounts.roles_for_signup(data.pop("is_student", False))
        student_number = data.pop("student_number", None)
        created = signup.register(current_service().store, data, roles=roles, password=password,
                                  student_number=student_number, correlation_id=current_correlation_id(),
                                  token_key=current_service().config.token_encryption_key or None)
        if created is not None:  # its stored reply (Idempotency-Key) goes with the member's erasure
            idempotency.about(created["_id"])
        return SIGNUP_ACCEPTED, 202

    @require_auth("admin")
    @blp.arguments(MemberListQuerySchema, location="query")
    @blp.response(200, MemberPageSchema)
    def get(self, query: dict):
        """Members for the alumni office, newest first; `status=pending_verification` is the
        queue of sign-ups waiting for a decision, each with the roster entry its student number
        and family name match (`roster_match`). Admins only."""
        items, total = profiles_store.list_members(current_service().store.db, query.get("status"),
                                                   query["page"], query["per_page"])
        return pagination.page(office_view(items), query, total)


@blp.route("/<member_id>")
class Member(MethodView):
    @blp.doc(security=[{}, {"bearerAuth": []}])
    @blp.response(200, MemberSchema)
    def get(self, member_id: str):
        """A member, as the caller may see them.

        The member and admins see the whole record. Verified members see the fields the
        member made visible to `members` or `public`; anyone else (no token, or a member not
        yet verified) only `public` ones. Members not verified, or out of the directory by
        choice, are visible only to themselves and admins (404 for everyone else).
        """
        principal = optional_principal()
        member = current_service().store.get(member_id)
        if member is None or member.get("status") == "erased":
            raise _not_found()
        if principal is not None and principal.is_admin:
            return office_view([member])[0]
        if principal is not None and principal.subject == member_id:
            return full_view(member)
        if member.get("status") != "verified" or not member.get("in_directory", True):
            raise _not_found()  # out of the directory by choice: not found by id either
        audience = profiles.MEMBERS if principal is not None and viewer_is_verified(principal) else profiles.PUBLIC
        shown = profiles.view(member, audience)
        if audience == profiles.PUBLIC and set(shown) == {"id"}:
            raise _not_found()  # nothing public: do not even confirm the member exists
        return as_shown(shown)

    @require_auth()
    @blp.arguments(ProfileUpdateSchema)
    @blp.response(200, MemberSchema)
    @blp.alt_response(409, description="A verified member's graduation year or faculty (admins correct them).")
    def patch(self, patch: dict, member_id: str):
        """Edit a profile: the member themselves, or an admin.

        Only the fields sent change (`null` clears an optional one); `visibility` sets who
        sees each field. Changes of fields other services keep copies of publish
        `members.member.updated` with those fields only. A verified member's graduation
        year and faculty are corrected by admins only (409 for the member). The email address
        is not changed here, by anyone (422 naming `email`): the member changes it through
        `POST /api/v1/members/{member_id}/email-change`, and only the new address's link
        applies it.
        """
        _owner_or_admin(member_id)
        try:
            member, _changed = profiles_store.update_profile(current_service().store, member_id, patch,
                                                             by_admin=g.principal.is_admin)
        except profiles_store.NotFound:
            raise _not_found() from None
        except profiles_store.Locked as locked:
            raise Problem(409, "Verified against the university's records: the alumni office corrects these.",
                          kind="conflict", errors={f: ["Ask the alumni office to correct it."]
                                                   for f in locked.fields}) from None
        return full_view(member)


def _decide(member_id: str, *, approve: bool, reason: str | None) -> dict:
    try:
        member, _ = profiles_store.decide(current_service().store, member_id, approve=approve,
                                          admin_id=g.principal.subject, reason=reason)
    except profiles_store.NotFound:
        raise _not_found() from None
    return full_view(member)


@blp.route("/<member_id>/approve")
class Approval(MethodView):
    @require_auth("admin")
    @blp.arguments(DecisionSchema)
    @blp.response(200, MemberSchema)
    def post(self, decision: dict, member_id: str):
        """Verify a member (admins): they then see the directory and are listed in it.
        Publishes `members.member.verified`; approving a verified member changes nothing."""
        return _decide(member_id, approve=True, reason=decision.get("reason"))


@blp.route("/<member_id>/reject")
class Rejection(MethodView):
    @require_auth("admin")
    @blp.arguments(RejectionSchema)
    @blp.response(200, MemberSchema)
    def post(self, decision: dict, member_id: str):
        """Reject a member's verification, with a reason the member is told (admins).
        They keep their account but neither see nor appear in the directory. Publishes
        `members.member.rejected`; a later approval can still verify them."""
        return _decide(member_id, approve=False, reason=decision["reason"])


@blp.route("/<member_id>/roles")
class Roles(MethodView):
    @require_auth("admin")
    @blp.arguments(RolesSchema)
    @blp.response(200, MemberSchema)
    def put(self, body: dict, member_id: str):
        """Set a member's roles (admins), e.g. make an alumnus an awards `judge`. A change
        revokes the member's access and refresh tokens in every service within seconds
        (`members.access.revoked`): they log in again and get the new roles."""
        if member_id == g.principal.subject and "admin" not in body["roles"]:
            raise Problem(409, "You cannot remove your own admin role.", kind="conflict",
                          errors={"roles": ["Would lock you out of the office's tools."]})
        try:
            return full_view(profiles_store.set_roles(current_service().store, member_id, body["roles"]))
        except profiles_store.NotFound:
            raise _not_found() from None
