"""HTTP routes of the members service."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask import g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from services.members import accounts, accounts_store
from services.members.messages import CATALOG, MEMBER_REGISTERED
from services.members.schemas import MemberSchema, SignUpSchema
from services.members.store import EmailTaken
from shared.auth import require_auth
from shared.logs import current_correlation_id
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.problems import Problem

blp = Blueprint("members", __name__, url_prefix="/api/v1/members",
                description="Sign-up and member records.")


def _public(member: dict) -> dict:
    return {**member, "id": member["_id"]}


@blp.route("")
class Members(MethodView):
    @idempotent
    @blp.arguments(SignUpSchema)
    @blp.response(201, MemberSchema)
    @blp.alt_response(409, description="The email is already registered.")
    def post(self, signup: dict):
        """Sign up as a member.

        Publishes `members.member.registered`; a welcome email follows in the member's language.
        With a `password`, the member can log in at once (`/auth/login`); without one, they set
        it through the password reset (`/auth/password-reset`). New members have the role
        `alumnus`, or `student` with `is_student: true`. Send an `Idempotency-Key` header to
        make retries safe.
        """
        store = current_service().store
        password = signup.pop("password", None)
        is_student = signup.pop("is_student", False)
        member = {
            "_id": uuid.uuid4().hex,
            **signup,
            "status": "pending_verification",
            "roles": accounts.roles_for_signup(is_student),
            "registered_at": datetime.now(timezone.utc),
        }
        credential = None if password is None else accounts_store.new_credential(
            member["_id"], member["email"], accounts.hash_password(password), member["registered_at"])
        event = CATALOG.create(MEMBER_REGISTERED, member["_id"], {
            "member_id": member["_id"],
            **{k: signup[k] for k in ("given_name", "family_name", "email", "phone", "preferred_language",
                                      "graduation_year", "faculty", "programme", "consent")},
            "registered_at": member["registered_at"].isoformat(),
        }, current_correlation_id())
        try:
            accounts_store.register_member(store, member, event, credential)
        except EmailTaken:
            raise Problem(409, "This email is already registered.", kind="conflict",
                          errors={"email": ["Already registered."]}) from None
        return _public(member), 201, {"Location": url_for("members.Member", member_id=member["_id"])}


@blp.route("/<member_id>")
class Member(MethodView):
    @require_auth()
    @blp.response(200, MemberSchema)
    def get(self, member_id: str):
        """A member's record: the member themselves or an admin."""
        if g.principal.subject != member_id and not g.principal.is_admin:
            raise Problem(403, "You may only see your own record.", kind="forbidden")
        member = current_service().store.get(member_id)
        if member is None or member.get("status") == "erased":
            raise Problem(404, "No such member.", kind="not-found")
        return _public(member)
