"""HTTP routes: Accounts: password login, access and refresh tokens, logout, password reset,
throttling.

- Login answers one and the same 401 for an unknown email, a wrong password, an account
  without a password and a member who may not log in, after the same hashing work.
- Login answers the same 401 for an account whose address is not yet confirmed: a password
  chosen at sign-up opens nothing until then.
- Failed logins are counted per pair (account, client address), per account (a hash of the
  email, so known and unknown emails are alike) and per client address: a pair slows down,
  then locks; the account as a whole only slows down a little (a stranger cannot lock the
  owner out); an address locks at a higher count. While blocked, 429 with ``Retry-After``.
- A wrong current password given to change the email address counts as a failed login.
- Sign-up, login, password reset and the confirmations are also rate-limited per client
  address and per email (``accounts.RATE_LIMITS``, counted in the store): 429 with
  ``Retry-After``. The client address is ``request.remote_addr`` (proxy trust is the app's).
- An access token carries ``auth_time``, the time of its login, kept across refreshes (how
  recent a login is decides what needs the password again); its ``iat`` is taken before its
  member is read, so a revocation committed meanwhile voids it (``accounts.issue_time``).
- Refresh tokens are opaque, stored as digests, single use: each refresh returns a new one
  of the same family, and presenting a used one revokes the family.
- Password reset answers 202 whatever the email; the one-time token travels only inside the
  email, encrypted in the ``members.password_reset.requested`` event.

Idempotency-Key is deliberately not honoured here: a replayed login or refresh would have to
store tokens in clear, and every route is safe to retry as it is.
"""
from __future__ import annotations

import functools
import logging

from flask import request
from flask.views import MethodView

from services.members.accounts import rules as accounts
from services.members.accounts import store as accounts_store
from services.members.accounts.schemas import (EmailConfirmationSchema, EmailConfirmedSchema, LoginSchema,
                                               PasswordResetConfirmSchema, PasswordResetRequestSchema, RefreshSchema,
                                               TokenPairSchema, normalise_email)
from services.members.messages import CATALOG, PASSWORD_RESET_REQUESTED
from services.members.schemas import AcceptedSchema, ProblemSchema
from services.members.signup import store as signup
from shared.auth import TokenIssuer
from shared.logs import current_correlation_id
from shared.web.app import current_service
from shared.web.inputs import Blueprint
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


def _token_pair(member: dict, refresh_token: str, issued_at: float, authenticated_at) -> dict:
    """The answer of a login or refresh. ``issued_at`` (``accounts.issue_time``) was taken
    before ``member`` was read: a token dated after the read could carry roles a revocation
    committed meanwhile has already replaced, and outlive it."""
    roles = accounts.roles_of(member)
    issuer = _issuer()
    login = {} if authenticated_at is None else {"auth_time": int(authenticated_at.timestamp())}
    return {
        "access_token": issuer.issue(member["_id"], roles, issued_at=issued_at, **login),
        "token_type": accounts.ACCESS_TOKEN_TYPE,
        "expires_in": issuer.ttl_s,
        "refresh_token": refresh_token,
        "member_id": member["_id"],
        "roles": roles,
    }


def client_address() -> str | None:
    """The address of the client that made the request: which proxies to believe about it is
    decided once for the app (``request.remote_addr`` after its proxy fix), not here."""
    return request.remote_addr


def _too_many(retry_after: int) -> Problem:
    # The same body for every account and address: only the header says how long.
    return Problem(429, "Too many failed login attempts. Try again later.", kind="too-many-attempts",
                   headers={"Retry-After": str(retry_after)})


def limit_rate(action: str, email: str | None = None) -> None:
    """Count this request of ``action`` per client address and per email (when the limits
    have one); answer 429 with ``Retry-After`` when either is over its limit."""
    db, at = current_service().store.db, accounts.now()
    keys = {"address": accounts.address_key(client_address()),
            "email": None if email is None else accounts.account_key(email)}
    waits = [accounts_store.count_request(db, f"{action}:{key}", limit, at)
             for (limited, counted), limit in accounts.RATE_LIMITS.items()
             if limited == action and (key := keys[counted]) is not None]
    waits = [wait for wait in waits if wait]
    if waits:
        raise Problem(429, "Too many requests. Try again later.", kind="too-many-requests",
                      headers={"Retry-After": str(max(waits))})


def rate_limited(action: str):
    """``limit_rate`` before anything else of a route, the email read from the raw body: put
    above ``@idempotent``, which keeps 4xx answers, so a retry after ``Retry-After`` with
    the same key is answered afresh."""
    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            body = request.get_json(silent=True)
            email = body.get("email") if isinstance(body, dict) else None
            limit_rate(action, normalise_email(email) if isinstance(email, str) else None)
            return view(*args, **kwargs)
        return limited
    return decorate


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

        Returns a short-lived access token (JWT, `sub` = member id, `roles`, `auth_time` = this
        login's time, kept by the tokens its refresh token leads to) and a refresh token. An account whose email is not confirmed yet answers as a wrong password does.
        Failed attempts are counted per account on this client, per account and per client
        address: after {slow} failures of one client on an account it must wait before the
        next attempt, after {limit} that client is locked out of the account for {lock}
        minutes; the account itself, after {gentle} failures from anywhere, only waits {wait} s
        between attempts (a stranger cannot lock the owner out); an address is locked after
        {address} failures. While blocked, or over the request rate, the answer is 429 with
        `Retry-After`.
        """
        _issuer()  # a process that cannot sign tokens says so before checking anything
        limit_rate("login")
        db, at = current_service().store.db, accounts.now()
        email, password = credentials["email"], credentials["password"]
        (account, address, pair), counted = throttling(db, email, at)

        issued_at = accounts.issue_time()  # before the member (and its roles) is read
        member = accounts_store.member_by_email(db, email)
        credential = accounts_store.credential_of(db, member["_id"]) if member else None
        password_ok = accounts.verify_password(credential["password_hash"] if credential else None, password)
        if not password_ok or not accounts.email_confirmed(member):
            record_failure(db, account, address, pair, at)
            raise _invalid_login()
        if not accounts.can_log_in(member):
            raise _invalid_login()

        # A success forgets this client's and the account's failures (the address keeps its own).
        accounts_store.clear_failures(db, [key for key in (pair, account) if key in counted])
        refresh = accounts_store.issue_refresh_token(db, None, member["_id"], accounts.new_family(), at, at)
        log.info("login", extra={"member_id": member["_id"]})
        return _token_pair(member, refresh, issued_at, at)

    post.__doc__ = post.__doc__.format(
        slow=accounts.SLOWDOWN_AFTER, limit=accounts.PAIR_FAILURE_LIMIT,
        lock=int(accounts.LOCKOUT.total_seconds() // 60), address=accounts.ADDRESS_FAILURE_LIMIT,
        gentle=accounts.ACCOUNT_SLOWDOWN_AFTER, wait=int(accounts.ACCOUNT_SLOWDOWN.total_seconds()))


def throttling(db, email: str, at) -> tuple[tuple[str, str, str], set[str]]:
    """429 while failed passwords for ``email`` from this client block another attempt;
    otherwise the throttling keys (account, address, pair) to count a failure on, and those
    of them that have failures counted (one read for the three)."""
    account, address = accounts.account_key(email), accounts.address_key(client_address())
    pair = accounts.pair_key(account, address)
    counted = accounts_store.throttles(db, (pair, account, address))
    waits = [wait for throttle in counted.values() if (wait := throttle.retry_after(at))]
    if waits:
        raise _too_many(max(waits))
    return (account, address, pair), set(counted)


def refuse_if_throttled(db, email: str, at) -> tuple[str, str, str]:
    """``throttling``'s keys, for a check that only counts failures."""
    return throttling(db, email, at)[0]


def record_failure(db, account: str, address: str, pair: str, at) -> None:
    by_pair = accounts_store.record_failure(db, pair, at, accounts.pair_blocked_until, account=account)
    accounts_store.record_failure(db, account, at, accounts.account_blocked_until)
    by_address = accounts_store.record_failure(db, address, at, accounts.address_blocked_until)
    if by_pair.failures >= accounts.PAIR_FAILURE_LIMIT or by_address.failures >= accounts.ADDRESS_FAILURE_LIMIT:
        log.warning("login locked", extra={"account": account[:20], "pair_failures": by_pair.failures,
                                           "address_failures": by_address.failures})


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
        issued_at = accounts.issue_time()  # before the rotation reads the member (and its roles)
        rotation = accounts_store.rotate_refresh_token(current_service().store, body["refresh_token"],
                                                       accounts.now())
        if rotation.outcome == "reused":
            log.warning("refresh token reused; its family is revoked")
        if rotation.outcome != "rotated":
            raise Problem(401, INVALID_REFRESH, kind="invalid-refresh-token",
                          headers={"WWW-Authenticate": 'Bearer realm="alumnet"'})
        return _token_pair(rotation.member, rotation.token, issued_at, rotation.authenticated_at)


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
    @_problem_doc(429, "Too many requests from this address or for this email.", headers=RETRY_AFTER_HEADER)
    @_problem_doc(503, "Password reset is not configured (no token encryption key).")
    def post(self, body: dict):
        """Ask for a password reset email.

        Always 202, whether or not the email belongs to a member. For a member, a one-time
        token valid for one hour is emailed (through `members.password_reset.requested`,
        which carries it encrypted); asking again makes earlier tokens stop working. This is
        also how a member who signed up without a password sets one; completing it confirms
        the address, as the welcome email's link does.
        """
        context = current_service()
        try:
            accounts.fernet(context.config.token_encryption_key)
        except accounts.EncryptionNotConfigured:
            raise Problem(503, "Password reset is not configured.", kind="not-configured") from None
        limit_rate("password_reset", body["email"])
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
    @_problem_doc(429, "Too many attempts from this address.", headers=RETRY_AFTER_HEADER)
    def post(self, body: dict):
        """Set a new password with the one-time token from the reset email.

        The token works once. Every access and refresh token of the member is revoked, in
        every service within seconds (`members.access.revoked`): every device must log in
        again. The account's failed-login count is cleared, and the address is confirmed (the
        token came by email): a sign-up the roster matched by email is verified.
        """
        limit_rate("confirm")
        store, at = current_service().store, accounts.now()
        invalid = Problem(400, "The password reset token is not valid: unknown, used or expired.",
                          kind="invalid-token", errors={"token": ["Unknown, used or expired."]})
        record = accounts_store.usable_reset(store.db, body["token"], at)
        member = store.get(record["member_id"]) if record else None
        if member is None:
            raise invalid
        problems = accounts.password_problems(body["new_password"], member.get("email"))
        if problems:
            raise Problem(422, "The request has invalid fields.", kind="validation",
                          errors={"new_password": problems})
        new_hash = accounts.hash_password(body["new_password"])
        if accounts_store.complete_password_reset(store, body["token"], at, new_hash, signup.address_proven) is None:
            raise invalid
        log.info("password reset completed", extra={"member_id": member["_id"]})


@blp.route("/confirm-email")
class EmailConfirmation(MethodView):
    @blp.arguments(EmailConfirmationSchema)
    @blp.response(200, EmailConfirmedSchema)
    @_problem_doc(400, "The token is unknown, used or expired.")
    @_problem_doc(429, "Too many attempts from this address.", headers=RETRY_AFTER_HEADER)
    def post(self, body: dict):
        """Confirm the email address with the one-time token from the welcome email's link.

        Every password and session made before the confirmation stops working (whoever signed
        up with this address may not be its owner); send `password` (the one chosen at
        sign-up, or a new one) to log in with it from now on, or set one later through the
        password reset. A sign-up whose email the alumni roster lists becomes verified
        (`members.member.verified`): the member now sees the directory. Confirming works
        once; the link is valid 7 days.
        """
        limit_rate("confirm")
        store, at = current_service().store, accounts.now()
        password = body.get("password")
        if password is not None:
            problems = accounts.password_problems(password, accounts_store.confirmation_email(store.db, body["token"]))
            if problems:
                raise Problem(422, "The request has invalid fields.", kind="validation", errors={"password": problems})
        member = signup.confirm_email(store, body["token"], at,
                                      None if password is None else accounts.hash_password(password))
        if member is None:
            raise Problem(400, "The confirmation link is not valid: unknown, used or expired.",
                          kind="invalid-token", errors={"token": ["Unknown, used or expired."]})
        verified = member["status"] == "verified"
        return {"status": "confirmed", "membership": member["status"], "detail": "Your email is confirmed." + (
            " Your membership is verified." if verified else
            " The alumni office will verify your membership.")}
