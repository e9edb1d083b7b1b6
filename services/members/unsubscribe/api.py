"""HTTP routes: one-click unsubscribe from marketing messages (RFC 8058).

Every marketing email carries a link ``/api/v1/members/unsubscribe?token=...`` and the
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (``shared.unsubscribe``). The token
is the only credential: no login, it names one member, channel and category, is signed with a
``LINK_SIGNING_KEY`` and expires after a year.

- ``POST`` withdraws that consent: one ledger entry (``granted`` false, source
  ``unsubscribe_link``) and its ``members.consent.changed`` event, through
  ``consent_store.record`` (one transaction). Mail providers POST the form body
  ``List-Unsubscribe=One-Click``; an empty body or JSON ``{"token": ...}`` works too.
  Idempotent: when the consent is already not granted nothing is recorded, and the answer is
  the same 200.
- ``GET`` never changes anything (link scanners and mail previews follow links): it shows a
  small confirmation page, Bulgarian first and English (the token does not say which language
  the member reads), whose button POSTs.

Decisions: an unknown or erased member gets the same 200 as anyone else and nothing is
recorded, so a token reveals nothing about whether its member still exists (and mail
providers, which retry on errors, stop). A token that is forged, changed, expired, or names a
channel or category that does not exist is a 400 problem naming ``token``. Without a key
configured the routes answer 503. Two simultaneous POSTs with the same token may both find the
consent granted and record two (identical) withdrawals; the effect is the same.
"""
from __future__ import annotations

import logging

import jinja2
from flask import make_response, request
from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, fields

from services.members.consent import rules as consent
from services.members.consent import store as consent_store
from services.members.messages import CATEGORIES, CHANNELS
from services.members.schemas import ProblemSchema
from shared import unsubscribe
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import PROBLEM_CONTENT_TYPE, Problem

log = logging.getLogger(__name__)

blp = Blueprint("members_unsubscribe", __name__, url_prefix="/api/v1/members/unsubscribe",
                description="One-click unsubscribe from marketing messages (RFC 8058): the signed "
                            "token in an email's link is the credential.")

CHANNEL_NAMES = {"email": ("имейл", "email"), "sms": ("SMS", "SMS")}
CATEGORY_NAMES = {
    "news": ("новини", "news"),
    "events": ("събития", "events"),
    "mentoring": ("менторство", "mentoring"),
    "awards": ("награди", "awards"),
    "surveys": ("анкети", "surveys"),
    "causes": ("каузи", "causes"),
}
# The page has no scripts, images or external resources; the token in its URL must not leak
# through a Referer, and nothing about it may be cached.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

_templates = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
PAGE = _templates.from_string("""<!doctype html>
<html lang="bg">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Отписване · Unsubscribe</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }
section + section { margin-top: 2rem; border-top: 1px solid #ddd; padding-top: 1rem; }
button { font-size: 1rem; padding: .6rem 1.2rem; }
</style>
</head>
<body>
{% if ok %}
<section lang="bg">
  <h1>Отписване</h1>
  <p>Няма повече да получавате {{ category[0] }} от алумни мрежата по {{ channel[0] }}.
     Служебните съобщения (напр. пароли, билети за събития) ще продължат да пристигат.</p>
</section>
<section lang="en">
  <h1>Unsubscribe</h1>
  <p>You will no longer receive {{ category[1] }} from the alumni network by {{ channel[1] }}.
     Service messages (such as password resets and event tickets) still arrive.</p>
</section>
<form method="post" action="unsubscribe?token={{ token }}">
  <input type="hidden" name="List-Unsubscribe" value="One-Click">
  <p><button type="submit">Отписване · Unsubscribe</button></p>
</form>
{% else %}
<section lang="bg">
  <h1>Връзката не е валидна</h1>
  <p>Връзката за отписване е променена или е изтекла. Можете да промените съгласията си
     в профила си.</p>
</section>
<section lang="en">
  <h1>This link is not valid</h1>
  <p>The unsubscribe link was altered or has expired. You can change your consents in your
     profile.</p>
</section>
{% endif %}
</body>
</html>
""")


class TokenQuerySchema(Schema):
    """Other parameters are ignored, unlike on every other route: mail providers and link
    trackers add their own (``utm_source``...) to links, and a refused unsubscribe would keep
    mailing someone who asked us to stop."""

    token = fields.String(load_default=None, metadata={
        "description": "the signed token from the email's link (required here or, for POST, in a "
                       "JSON body)"})


class UnsubscribedSchema(Schema):
    status = fields.String(metadata={"description": "always `unsubscribed`"})
    channel = fields.String(metadata={"description": "one of " + ", ".join(CHANNELS)})
    category = fields.String(metadata={"description": "one of " + ", ".join(CATEGORIES)})


ONE_CLICK_BODY = {
    "required": False,
    "description": "RFC 8058: mail providers send `List-Unsubscribe=One-Click` as a form; an empty "
                   "body, or JSON with the token when it is not in the query, works too.",
    "content": {
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}}}},
        "multipart/form-data": {"schema": {
            "type": "object", "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}}}},
        "application/json": {"schema": {
            "type": "object", "properties": {"token": {"type": "string"}}}},
    },
}


def _problem_doc(status: int, description: str):
    return blp.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_CONTENT_TYPE,
                            description=description)


def _bad_token(reason: str) -> Problem:
    return Problem(400, "The unsubscribe link is not valid: altered or expired.", kind="invalid-token",
                   errors={"token": [reason]})


def _key() -> str:
    key = current_service().config.link_signing_key
    if not key:
        raise Problem(503, "Unsubscribe links are not configured.", kind="not-configured")
    return key


def _read(token: str | None) -> unsubscribe.UnsubscribeRequest:
    """The request a token carries, or a 400 problem naming ``token`` (503 without a key)."""
    key = _key()
    if not token:
        raise _bad_token("Missing.")
    try:
        wanted = unsubscribe.read_token(key, token, current_service().clock())
    except unsubscribe.BadUnsubscribeToken:
        raise _bad_token("Altered, signed with another key, or expired.") from None
    if wanted.channel not in CHANNELS or wanted.category not in CATEGORIES:
        raise _bad_token("Names no marketing channel and category.")
    return wanted


def _body_token() -> str | None:
    if not request.is_json:
        return None
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    return token if isinstance(token, str) else None


def _withdraw(wanted: unsubscribe.UnsubscribeRequest) -> bool:
    """Record the withdrawal unless the consent is already not granted; ``True`` if recorded."""
    store = current_service().store
    member = consent_store.live_member(store.db, wanted.member_id)
    if member is None:
        return False
    state = consent_store.current(store.db, member, current_service().clock())
    if not any(row["granted"] for row in state
               if row["channel"] == wanted.channel and row["category"] == wanted.category):
        return False
    change = {"channel": wanted.channel, "category": wanted.category, "granted": False,
              "source": consent.UNSUBSCRIBE_LINK, "expires_at": None}
    try:
        consent_store.record(store, wanted.member_id, change, recorded_by=wanted.member_id, reason=None)
    except consent_store.MemberNotFound:  # erased between the read and the transaction
        return False
    return True


def _page(status: int, **context):
    response = make_response(PAGE.render(**context), status)
    response.mimetype = "text/html"
    response.headers.update(PAGE_HEADERS)
    return response


@blp.route("")
class Unsubscribe(MethodView):
    @blp.arguments(TokenQuerySchema, location="query", unknown=EXCLUDE, error_status_code=400)
    @blp.doc(security=[])
    @blp.response(200, {"type": "string"}, content_type="text/html",
                  description="A page (Bulgarian, then English) with a button that POSTs; nothing is changed.")
    @_problem_doc(400, "The token is missing, altered or expired: a problem naming `token` (`errors.token`), "
                       "or an HTML page in both languages when the client prefers text/html (browsers).")
    @_problem_doc(503, "Unsubscribe links are not configured.")
    def get(self, query: dict):
        """The page an unsubscribe link opens: it asks to confirm and changes nothing.

        Link scanners and mail previews follow links, so a GET never withdraws consent; the
        page's button POSTs to this URL. No login: the token is the credential.
        """
        try:
            wanted = _read(query["token"])
        except Problem as problem:
            wants_html = request.accept_mimetypes.best_match(
                ["text/html", PROBLEM_CONTENT_TYPE, "application/json"]) == "text/html"
            if problem.code == 400 and wants_html:
                return _page(400, ok=False)
            raise
        return _page(200, ok=True, token=query["token"],
                     channel=CHANNEL_NAMES[wanted.channel], category=CATEGORY_NAMES[wanted.category])

    @blp.arguments(TokenQuerySchema, location="query", unknown=EXCLUDE, error_status_code=400)
    @blp.doc(security=[], requestBody=ONE_CLICK_BODY)
    @blp.response(200, UnsubscribedSchema)
    @_problem_doc(400, "The token is missing, altered, expired or names no marketing category "
                       "(`errors.token`).")
    @_problem_doc(503, "Unsubscribe links are not configured.")
    def post(self, query: dict):
        """Withdraw consent for the token's channel and category (RFC 8058 one-click).

        Records `granted: false` with source `unsubscribe_link` in the consent ledger and
        publishes `members.consent.changed`. Idempotent: if the consent is already not
        granted nothing is recorded and the answer is the same. An unknown or erased member
        gets the same answer too (nothing is revealed). No login: the token is the credential.
        """
        wanted = _read(query["token"] or _body_token())
        if _withdraw(wanted):
            log.info("consent withdrawn by unsubscribe link",
                     extra={"member_id": wanted.member_id, "channel": wanted.channel,
                            "category": wanted.category})
        return ({"status": "unsubscribed", "channel": wanted.channel, "category": wanted.category},
                200, {"Cache-Control": "no-store"})
