"""HTTP routes of member records: sign-up, profiles (with per-field visibility), the
office's member list, and its verification decisions."""
from __future__ import annotations

from flask import g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from services.members import accounts, profiles, profiles_store, signup
from services.members.schemas import (
    DecisionSchema,
    MemberListQuerySchema,
    MemberPageSchema,
    MemberSchema,
    ProfileUpdateSchema,
    RejectionSchema,
    RolesSchema,
    SignUpSchema,
)
from services.members.store import EmailTaken
from shared.auth import optional_principal, require_auth
from shared.logs import current_correlation_id
from shared.web import pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.problems import Problem

blp = Blueprint("members", __name__, url_prefix="/api/v1/members",
                description="Sign-up, profiles and verification of members.")
DERIVED = ("tokens", "city_key", "sort_name")


def full_view(member: dict) -> dict:
    """What the member and the office see: everything, with the effective visibility."""
    shown = {k: v for k, v in member.items() if k not in DERIVED and k != "_id"}
    return {"id": member["_id"], **shown, "visibility": profiles.visibility_of(member),
            "in_directory": member.get("in_directory", True)}


def _not_found() -> Problem:
    return Problem(404, "No such member.", kind="not-found")


def _email_taken() -> Problem:
    return Problem(409, "This email is already registered.", kind="conflict",
                   errors={"email": ["Already registered."]})


def viewer_is_verified(principal) -> bool:
    service = current_service()
    viewers = service.extras.setdefault("verified_viewers", profiles_store.VerifiedViewers())
    return principal.is_admin or viewers.is_verified(service.store.db, principal.subject)


def _owner_or_admin(member_id: str) -> None:
    if g.principal.subject != member_id and not g.principal.is_admin:
        raise Problem(403, "Only the member and the alumni office may do this.", kind="forbidden")


@blp.route("")
class Members(MethodView):
    @idempotent
    @blp.arguments(SignUpSchema)
    @blp.response(201, MemberSchema)
    @blp.alt_response(409, description="The email is already registered.")
    def post(self, data: dict):
        """Sign up as a member.

        A sign-up whose email, or whose student number and family name, are in the alumni
        roster is verified as soon as the member confirms their email (the link in the welcome
        email: `/auth/confirm-email`), which proves the address is theirs; `verification.status`
        is `awaiting_email` until then. Others are `pending_verification` until the alumni
        office approves them (only verified members see the directory). Publishes
        `members.member.registered`; a welcome email follows in the member's language.
        With a `password`, the member can log in at once (`/auth/login`); without one, they set
        it through the password reset (`/auth/password-reset`). New members have the role
        `alumnus`, or `student` with `is_student: true`. Send an `Idempotency-Key` header to
        make retries safe.
        """
        password = data.pop("password", None)
        roles = accounts.roles_for_signup(data.pop("is_student", False))
        student_number = data.pop("student_number", None)
        try:
            member = signup.register(current_service().store, data, roles=roles, password=password,
                                     student_number=student_number, correlation_id=current_correlation_id(),
                                     token_key=current_service().config.token_encryption_key or None)
        except EmailTaken:
            raise _email_taken() from None
        return full_view(member), 201, {"Location": url_for("members.Member", member_id=member["_id"])}

    @require_auth("admin")
    @blp.arguments(MemberListQuerySchema, location="query")
    @blp.response(200, MemberPageSchema)
    def get(self, query: dict):
        """Members for the alumni office, newest first; `status=pending_verification` is the
        queue of sign-ups waiting for a decision. Admins only."""
        items, total = profiles_store.list_members(current_service().store.db, query.get("status"),
                                                   query["page"], query["per_page"])
        return pagination.page([full_view(m) for m in items], query, total)


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
        if principal is not None and (principal.subject == member_id or principal.is_admin):
            return full_view(member)
        if member.get("status") != "verified" or not member.get("in_directory", True):
            raise _not_found()  # out of the directory by choice: not found by id either
        audience = profiles.MEMBERS if principal is not None and viewer_is_verified(principal) else profiles.PUBLIC
        shown = profiles.view(member, audience)
        if audience == profiles.PUBLIC and set(shown) == {"id"}:
            raise _not_found()  # nothing public: do not even confirm the member exists
        return shown

    @require_auth()
    @blp.arguments(ProfileUpdateSchema)
    @blp.response(200, MemberSchema)
    @blp.alt_response(409, description="The new email is already registered.")
    def patch(self, patch: dict, member_id: str):
        """Edit a profile: the member themselves, or an admin.

        Only the fields sent change (`null` clears an optional one); `visibility` sets who
        sees each field. Changes of fields other services keep copies of publish
        `members.member.updated` with those fields only. A verified member's graduation
        year and faculty are corrected by admins only (409 for the member).
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
        except EmailTaken:
            raise _email_taken() from None
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
