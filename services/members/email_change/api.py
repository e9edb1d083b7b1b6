"""HTTP routes: changing one's email address (rules in ``email_change``).

- Only the member asks (an admin neither asks for a member nor edits the address with
  ``PATCH``: the address is the account's key, and only its owner proves a new one). Asking
  needs the current password (a wrong one counts as a failed login) or a login in the last
  ``accounts.RECENT_LOGIN`` (the token's ``auth_time``): 403 naming ``current_password``.
- The answer is the same 202 whether the new address is free or another member's.
- The confirmation and the undo take the one-time token from the email's link; like the other
  confirmations they are rate-limited per client address (``confirm``); asking is limited per
  client address (``email_change``) and, once the member proved it is them, per new address
  (``email_change_link``), which caps the emails one address can be sent.
- Idempotency-Key is not honoured (as on the other account routes): a retried request sends a
  fresh link that supersedes the first, which is harmless.
"""
from __future__ import annotations

import logging

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, post_load, validate

from services.members.accounts import rules as accounts
from services.members.accounts import store as accounts_store
from services.members.accounts.api import RETRY_AFTER_HEADER, limit_rate, record_failure, refuse_if_throttled
from services.members.accounts.schemas import normalise_email, valid_email
from services.members.email_change import store as email_change
from services.members.profiles import store as profiles_store
from services.members.schemas import AcceptedSchema, ProblemSchema
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import PROBLEM_CONTENT_TYPE, Problem

log = logging.getLogger(__name__)

blp = Blueprint("members_email_change", __name__, url_prefix="/api/v1/members",
                description="Changing a member's email address: the new address confirms it, the old one may "
                            "undo it.")

RECENT_MINUTES = int(accounts.RECENT_LOGIN.total_seconds() // 60)
ACCEPTED = {"status": "accepted",
            "detail": "We have sent a link to the new address. Your address changes when you follow it "
                      f"(within {int(accounts.EMAIL_CHANGE_TTL.total_seconds() // 3600)} hours)."}


class EmailChangeSchema(Schema):
    new_email = fields.String(required=True, validate=[validate.Length(max=254), valid_email],
                              metadata={"description": "the address to change to; it must confirm the change"})
    current_password = fields.String(
        load_only=True, load_default=None, allow_none=True, validate=validate.Length(min=1, max=1024),
        metadata={"format": "password", "description": "required unless you logged in less than "
                  f"{int(accounts.RECENT_LOGIN.total_seconds() // 60)} minutes ago"})

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        data["new_email"] = normalise_email(data["new_email"])
        return data


class EmailChangeTokenSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=512),
                          metadata={"description": "the one-time token from the email's link"})


def _problem_doc(status: int, description: str, **kwargs):
    return blp.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_CONTENT_TYPE,
                            description=description, **kwargs)


def _token_key() -> str:
    key = current_service().config.token_encryption_key
    try:
        accounts.fernet(key)
    except accounts.EncryptionNotConfigured:
        raise Problem(503, "Changing the email address is not configured.", kind="not-configured") from None
    return key


def _prove_it_is_them(db, member: dict, password: str | None, at) -> None:
    """The current password, or a login recent enough; a wrong password is a failed login."""
    if password is None:
        if accounts.recently_authenticated(g.principal.claims, at):
            return
        raise Problem(403, "Confirm it is you: send your current password.", kind="reauthentication-required",
                      errors={"current_password": [f"Required: you logged in more than {RECENT_MINUTES} "
                                                   "minutes ago."]})
    keys = refuse_if_throttled(db, member["email"], at)
    credential = accounts_store.credential_of(db, member["_id"])
    if not accounts.verify_password(credential["password_hash"] if credential else None, password):
        record_failure(db, *keys, at)
        raise Problem(403, "The current password is not correct.", kind="reauthentication-required",
                      errors={"current_password": ["Not correct."]})


def _invalid_token() -> Problem:
    return Problem(400, "The link is not valid: unknown, used or expired.", kind="invalid-token",
                   errors={"token": ["Unknown, used or expired."]})


def _address_taken() -> Problem:
    return Problem(409, "This address belongs to another account by now.", kind="conflict",
                   errors={"token": ["The address it would set is another account's."]})


@blp.route("/<member_id>/email-change")
class EmailChange(MethodView):
    @require_auth()
    @blp.arguments(EmailChangeSchema)
    @blp.response(202, AcceptedSchema)
    @_problem_doc(403, "Not the member; or the current password is missing (login too old) or wrong.")
    @_problem_doc(429, "Too many requests from this address or for this new address, or too many wrong "
                       "passwords.", headers=RETRY_AFTER_HEADER)
    @_problem_doc(503, "Changing the address is not configured (no token encryption key).")
    def post(self, body: dict, member_id: str):
        """Ask to change your email address (only the member, not the office).

        Send `current_password`, unless you logged in less than {recent} minutes ago. A link
        valid {hours} hours goes to the new address (`members.email_change.requested`); the
        address changes only when it is followed (`/auth/confirm-email-change`), which signs
        out every session and tells the old address, with a link that undoes the change for
        {days} days. Asking again makes earlier links stop working. Always 202, also when the
        new address belongs to another member (then nothing is sent).
        """
        if g.principal.subject != member_id:
            raise Problem(403, "Only the member may change their address.", kind="forbidden")
        key = _token_key()
        limit_rate("email_change")
        store, at = current_service().store, accounts.now()
        try:
            member = profiles_store.live(store.db, member_id)
        except profiles_store.NotFound:
            raise Problem(404, "No such member.", kind="not-found") from None
        _prove_it_is_them(store.db, member, body.get("current_password"), at)
        if body["new_email"] == member["email"]:
            raise Problem(422, "The request has invalid fields.", kind="validation",
                          errors={"new_email": ["This is already your address."]})
        limit_rate("email_change_link", body["new_email"])
        if email_change.request(store, member, body["new_email"], at, key):
            log.info("email change requested", extra={"member_id": member_id})
        return ACCEPTED, 202

    post.__doc__ = post.__doc__.format(recent=RECENT_MINUTES,
                                       hours=int(accounts.EMAIL_CHANGE_TTL.total_seconds() // 3600),
                                       days=accounts.EMAIL_CHANGE_UNDO_TTL.days)


@blp.route("/auth/confirm-email-change")
class EmailChangeConfirmation(MethodView):
    @blp.arguments(EmailChangeTokenSchema)
    @blp.response(200, AcceptedSchema)
    @_problem_doc(400, "The token is unknown, used or expired.")
    @_problem_doc(409, "Another member holds the new address by now.")
    @_problem_doc(429, "Too many attempts from this address.", headers=RETRY_AFTER_HEADER)
    @_problem_doc(503, "Changing the address is not configured (no token encryption key).")
    def post(self, body: dict):
        """Confirm an email change with the token from the link sent to the new address.

        The address changes (`members.member.updated`); every session of the member ends, in
        every service within seconds (`members.access.revoked`, reason `email_changed`): log
        in again with the new address. The old address gets an email with a link that undoes
        the change (`members.email_change.confirmed`). Works once.
        """
        key = _token_key()
        limit_rate("confirm")
        try:
            member = email_change.confirm(current_service().store, body["token"], accounts.now(), key)
        except email_change.AddressTaken:
            raise _address_taken() from None
        if member is None:
            raise _invalid_token()
        log.info("email change confirmed", extra={"member_id": member["_id"]})
        return {"status": "confirmed",
                "detail": "Your email address is changed. Log in again with the new address."}


@blp.route("/auth/undo-email-change")
class EmailChangeUndo(MethodView):
    @blp.arguments(EmailChangeTokenSchema)
    @blp.response(200, AcceptedSchema)
    @_problem_doc(400, "The token is unknown, used or expired.")
    @_problem_doc(409, "Another member holds the old address by now.")
    @_problem_doc(429, "Too many attempts from this address.", headers=RETRY_AFTER_HEADER)
    def post(self, body: dict):
        """Undo an email change with the token from the link sent to the old address.

        The old address is back; every session ends again (`members.access.revoked`, reason
        `email_change_undone`), every other link of the change stops working, and the password
        is removed: whoever changed the address may know it. Set a new one through the password
        reset (`/auth/password-reset`). Works once, for {days} days after the change.
        """
        limit_rate("confirm")
        try:
            member = email_change.undo(current_service().store, body["token"], accounts.now())
        except email_change.AddressTaken:
            raise _address_taken() from None
        if member is None:
            raise _invalid_token()
        log.warning("email change undone", extra={"member_id": member["_id"]})
        return {"status": "restored",
                "detail": "Your previous email address is back and every session is signed out. Set a new "
                          "password through the password reset before you log in."}

    post.__doc__ = post.__doc__.format(days=accounts.EMAIL_CHANGE_UNDO_TTL.days)
