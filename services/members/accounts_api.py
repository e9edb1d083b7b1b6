"""HTTP routes: Accounts: password login, access and refresh tokens, logout, password reset,
throttling.

- Login answers one and the same 401 for an unknown email, a wrong password, an account
  without a password and a member who may not log in, after the same hashing work.
- Failed logins are counted per account (a hash of the email, so known and unknown emails
  are alike) and per client address; an account slows down, then locks; an address locks
  at a higher count. While blocked, login answers 429 with ``Retry-After``.
- Refresh tokens are opaque, stored as digests, single use: each refresh returns a new one
  of the same family, and presenting a used one revokes the family.
- Password reset answers 202 whatever the email; the one-time token travels only inside the
  email, encrypted in the ``members.password_reset.requested`` event.

Idempotency-Key is deliberately not honoured here: a replayed login or refresh would have to
store tokens in clear, and every route is safe to retry as it is.
"""
from __future__ import annotations

import ipaddress
import logging

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.members import accounts, accounts_store, signup
from services.members.messages import CATALOG, PASSWORD_RESET_REQUESTED
from services.members.schemas import (AcceptedSchema, EmailConfirmationSchema, LoginSchema, PasswordResetConfirmSchema,
                                      PasswordResetRequestSchema, ProblemSchema, RefreshSchema,
                                      TokenPairSchema)
from shared.auth import TokenIssuer
from shared.logs import current_correlation_id
from shared.web.app import current_service
from shared.web.problems import PROBLEM_CONTENT_TYPE, Problem

log = logging.getLogger(__name__)

blp = Blueprint("members_accounts", __name__, url_prefix="/api/v1/members/auth",
                description="Accounts: password login, access and refresh tokens, logout, password reset, "
                            "throttling.")

RETRY_AFTER_HEADER = {"Retry-After": {"description": "seconds to wait before trying again",
                                      "schema": {"type": "integer"}}}
INVALID_LOGIN = "The email or password is not correct."
INVALID_REFRESH = "The refresh token is not valid."


def _problem_doc(status: int, description: str, **kwargs):
    return blp.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_CONTENT_TYPE,
                            description=description, **kwargs)


def _issuer() -> TokenIssuer:
    context = current_service()
    issuer = context.extras.get("token_issuer")
    if issuer is None:
        config = context.config
        if not config.jwt_private_key_file:
            raise Problem(503, "Login is not configured.", kind="not-configured")
        issuer = TokenIssuer.from_file(config.jwt_private_key_file, config.jwt_issuer, config.jwt_audience,
                                       config.jwt_access_ttl)
        context.extras["token_issuer"] = issuer
    return issuer


def _token_pair(member: dict, refresh_token: str) -> dict:
    roles = accounts.roles_of(member)
    issuer = _issuer()
    return {
        "access_token": issuer.issue(member["_id"], roles),
        "token_type": accounts.ACCESS_TOKEN_TYPE,
        "expires_in": issuer.ttl_s,
        "refresh_token": refresh_token,
        "member_id": member["_id"],
        "roles": roles,
    }


def client_address() -> str | None:
    """The address of the client that made the request.

    Behind the gateway (nginx), the connection comes from the gateway: the client is in
    ``X-Real-IP``, which the gateway always overwrites with the address it saw, so a client
    cannot choose it. Apis are reachable only through the gateway (the same trust that
    ``deploy/gunicorn.conf.py`` gives its forwarded headers); without the header, e.g. in dev
    mode and tests, the peer address is the client.
    """
    forwarded = request.headers.get("X-Real-IP", "").strip()
    if forwarded:
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.remote_addr


def _too_many(retry_after: int) -> Problem:
    # The same body for every account and address: only the header says how long.
    return Problem(429, "Too many failed login attempts. Try again later.", kind="too-many-attempts",
                   headers={"Retry-After": str(retry_after)})


def _invalid_login() -> Problem:
    return Problem(401, INVALID_LOGIN, kind="invalid-credentials",
                   headers={"WWW-Authenticate": 'Bearer realm="alumnet"'})


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @_problem_doc(401, "The email or password is not correct (the same answer for an unknown email).")
    @_problem_doc(429, "Too many failed attempts for this account or from this address.",
                  headers=RETRY_AFTER_HEADER)
    @_problem_doc(503, "Login is not configured (no signing key).")
    def post(self, credentials: dict):
        """Log in with email and password.

        Returns a short-lived access token (JWT, `sub` = member id, `roles`) and a refresh
        token. Failed attempts are counted per account and per client address: after
        {slow} failures an account must wait before the next attempt, after {limit} it is
        locked for {lock} minutes; an address is locked after {address} failures. While
        blocked the answer is 429 with `Retry-After`.
        """
        _issuer()  # a process that cannot sign tokens says so before checking anything
        db, at = current_service().store.db, accounts.now()
        email, password = credentials["email"], credentials["password"]
        account, address = accounts.account_key(email), accounts.address_key(client_address())
        waits = [accounts_store.throttle(db, key).retry_after(at) for key in (account, address)]
        if any(waits):
            raise _too_many(max(w for w in waits if w))

        member = accounts_store.member_by_email(db, email)
        credential = accounts_store.credential_of(db, member["_id"]) if member else None
        password_ok = accounts.verify_password(credential["password_hash"] if credential else None, password)
        if not password_ok:
            after = accounts_store.record_failure(db, account, accounts.ACCOUNT_FAILURE_LIMIT, at, slowdown=True)
            by_address = accounts_store.record_failure(db, address, accounts.ADDRESS_FAILURE_LIMIT, at,
                                                       slowdown=False)
            if after.failures >= accounts.ACCOUNT_FAILURE_LIMIT or by_address.failures >= accounts.ADDRESS_FAILURE_LIMIT:
                log.warning("login locked", extra={"account": account[:20], "account_failures": after.failures,
                                                   "address_failures": by_address.failures})
            raise _invalid_login()
        if not accounts.can_log_in(member):
            raise _invalid_login()

        accounts_store.clear_failures(db, account)
        refresh = accounts_store.issue_refresh_token(db, None, member["_id"], accounts.new_family(), at)
        log.info("login", extra={"member_id": member["_id"]})
        return _token_pair(member, refresh)

    post.__doc__ = post.__doc__.format(
        slow=accounts.SLOWDOWN_AFTER, limit=accounts.ACCOUNT_FAILURE_LIMIT,
        lock=int(accounts.LOCKOUT.total_seconds() // 60), address=accounts.ADDRESS_FAILURE_LIMIT)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    @_problem_doc(401, "The refresh token is unknown, expired, revoked or already used.")
    def post(self, body: dict):
        """Exchange a refresh token for a new access token and a new refresh token.

        A refresh token works once. Presenting one that was already used revokes every token
        issued from the same login, so a stolen token is useless as soon as either holder
        uses it again.
        """
        _issuer()
        rotation = accounts_store.rotate_refresh_token(current_service().store, body["refresh_token"],
                                                       accounts.now())
        if rotation.outcome == "reused":
            log.warning("refresh token reused; its family is revoked")
        if rotation.outcome != "rotated":
            raise Problem(401, INVALID_REFRESH, kind="invalid-refresh-token",
                          headers={"WWW-Authenticate": 'Bearer realm="alumnet"'})
        return _token_pair(rotation.member, rotation.token)


@blp.route("/logout")
class Logout(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(204)
    def post(self, body: dict):
        """Log out: revoke the refresh token and every token issued from the same login.

        Always 204, also for a token that is unknown or already revoked. Access tokens
        already issued stay valid until they expire (minutes).
        """
        accounts_store.revoke_token_family(current_service().store.db, body["refresh_token"], accounts.now())


@blp.route("/password-reset")
class PasswordReset(MethodView):
    @blp.arguments(PasswordResetRequestSchema)
    @blp.response(202, AcceptedSchema)
    @_problem_doc(503, "Password reset is not configured (no token encryption key).")
    def post(self, body: dict):
        """Ask for a password reset email.

        Always 202, whether or not the email belongs to a member. For a member, a one-time
        token valid for one hour is emailed (through `members.password_reset.requested`,
        which carries it encrypted); asking again makes earlier tokens stop working. This is
        also how a member who signed up without a password sets one.
        """
        context = current_service()
        try:
            accounts.fernet(context.config.token_encryption_key)
        except accounts.EncryptionNotConfigured:
            raise Problem(503, "Password reset is not configured.", kind="not-configured") from None
        db, at = context.store.db, accounts.now()
        member = accounts_store.member_by_email(db, body["email"])
        if member is not None and accounts.can_log_in(member) and not accounts_store.recent_reset(db, member["_id"], at):
            token = accounts.new_token()
            expires_at = at + accounts.PASSWORD_RESET_TTL
            event = CATALOG.create(PASSWORD_RESET_REQUESTED, member["_id"], {
                "member_id": member["_id"],
                "email": member["email"],
                "preferred_language": member.get("preferred_language") or "en",
                "given_name": member.get("given_name") or "",
                "encrypted_token": accounts.encrypt_token(context.config.token_encryption_key, token),
                "expires_at": expires_at.isoformat(),
            }, current_correlation_id())
            accounts_store.request_password_reset(context.store, member["_id"], token, at, event)
            log.info("password reset requested", extra={"member_id": member["_id"]})
        return {"status": "accepted",
                "detail": "If this email belongs to a member, a password reset email is on its way."}


@blp.route("/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    @blp.arguments(PasswordResetConfirmSchema)
    @blp.response(204)
    @_problem_doc(400, "The token is unknown, used or expired.")
    def post(self, body: dict):
        """Set a new password with the one-time token from the reset email.

        The token works once. Every access and refresh token of the member is revoked, in
        every service within seconds (`members.access.revoked`): every device must log in
        again. The account's failed-login count is cleared.
        """
        store, at = current_service().store, accounts.now()
        invalid = Problem(400, "The password reset token is not valid: unknown, used or expired.",
                          kind="invalid-token", errors={"token": ["Unknown, used or expired."]})
        record = accounts_store.usable_reset(store.db, body["token"], at)
        member = store.db.members.find_one({"_id": record["member_id"]}) if record else None
        if member is None:
            raise invalid
        problems = accounts.password_problems(body["new_password"], member.get("email"))
        if problems:
            raise Problem(422, "The request has invalid fields.", kind="validation",
                          errors={"new_password": problems})
        if accounts_store.complete_password_reset(store, body["token"], at,
                                                  accounts.hash_password(body["new_password"])) is None:
            raise invalid
        log.info("password reset completed", extra={"member_id": member["_id"]})


@blp.route("/confirm-email")
class EmailConfirmation(MethodView):
    @blp.arguments(EmailConfirmationSchema)
    @blp.response(200, AcceptedSchema)
    @_problem_doc(400, "The token is unknown, used or expired.")
    def post(self, body: dict):
        """Confirm the email address with the one-time token from the welcome email's link.

        A sign-up the alumni roster matched becomes verified (`members.member.verified`): the
        member now sees the directory. Confirming works once; the link is valid 7 days.
        """
        member = signup.confirm_email(current_service().store, body["token"], accounts.now())
        if member is None:
            raise Problem(400, "The confirmation link is not valid: unknown, used or expired.",
                          kind="invalid-token", errors={"token": ["Unknown, used or expired."]})
        verified = member["status"] == "verified"
        return {"status": "confirmed", "detail": "Your email is confirmed." + (
            " Your membership is verified." if verified else
            " The alumni office will verify your membership.")}
