"""HTTP routes: the consent ledger: consent per channel and category, with its history.

A member reads and changes their own consents; an admin may do so for any member, recording
source ``admin_on_request`` and a reason. Every change appends to the ledger (nothing is
overwritten) and publishes ``members.consent.changed`` in the same transaction.
"""
from __future__ import annotations

import functools
from datetime import datetime, timezone

from flask import g
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.members.consent import rules as consent
from services.members.consent import store as consent_store
from services.members.messages import CATEGORIES, CHANNELS
from shared.auth import require_auth
from shared.web import pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("members_consent", __name__, url_prefix="/api/v1/members",
                description="The consent ledger: consent per channel and category, with its history.")


class ConsentChangeSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES), metadata={
        "description": "marketing category; transactional messages need no consent"})
    granted = fields.Boolean(required=True)
    source = fields.String(required=True, validate=validate.OneOf(consent.MEMBER_SOURCES + (consent.ADMIN_ON_REQUEST,)),
                           metadata={"description": "profile_page or unsubscribe_link for the member "
                                                    "themselves; admin_on_request for an admin"})
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                      metadata={"description": "a grant may expire; must be in the future"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "required with source admin_on_request"})

    @validates_schema
    def _rules(self, data: dict, **_) -> None:
        errors: dict[str, list[str]] = {}
        expires_at = data.get("expires_at")
        if expires_at is not None:
            if not data.get("granted"):
                errors["expires_at"] = ["Only a grant can expire."]
            elif expires_at <= datetime.now(timezone.utc):
                errors["expires_at"] = ["Must be in the future."]
        if data.get("source") == consent.ADMIN_ON_REQUEST and not (data.get("reason") or "").strip():
            errors["reason"] = ["Required with source admin_on_request."]
        if errors:
            raise ValidationError(errors)


class ConsentEntrySchema(Schema):
    id = fields.String(attribute="_id", metadata={"description": "ledger entry id; signup:... for the "
                                                                 "implicit sign-up entries"})
    channel = fields.String()
    category = fields.String()
    granted = fields.Boolean()
    source = fields.String()
    at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    implicit = fields.Boolean(dump_default=False, metadata={
        "description": "true for the sign-up flags counted as the first entry of every category"})


class ConsentStateSchema(Schema):
    channel = fields.String()
    category = fields.String()
    granted = fields.Boolean(metadata={"description": "effective now: an expired grant is false"})
    expired = fields.Boolean(metadata={"description": "the latest entry was a grant that has expired"})
    source = fields.String(allow_none=True)
    at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(allow_none=True)


class ConsentsSchema(Schema):
    member_id = fields.String()
    consents = fields.List(fields.Nested(ConsentStateSchema))


HistoryQuerySchema = pagination.page_query_schema(default=50, name="HistoryQuery")
HistoryPageSchema = pagination.page_schema(ConsentEntrySchema, "HistoryPage")


def self_or_admin(what: str):
    """Route decorator (under ``require_auth``): the member named by ``member_id`` or an
    admin, checked before the request is validated, so others learn nothing from errors."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = g.principal
            if principal.subject != kwargs.get("member_id") and not principal.is_admin:
                raise Problem(403, f"You may only {what} your own account.", kind="forbidden")
            return view(*args, **kwargs)
        return wrapper
    return decorator


def _member(member_id: str) -> dict:
    member = consent_store.live_member(current_service().store.db, member_id)
    if member is None:
        raise Problem(404, "No such member.", kind="not-found")
    return member


@blp.route("/<member_id>/consents")
class Consents(MethodView):
    @require_auth()
    @self_or_admin("see the consents of")
    @blp.response(200, ConsentsSchema)
    @blp.alt_response(403, description="Neither the member nor an admin (problem+json).")
    @blp.alt_response(404, description="No such member, or erased (problem+json).")
    def get(self, member_id: str):
        """Current consents: the latest decision per channel and category.

        An expired grant counts as not granted. The sign-up flags count as the first decision
        for every category. The member themselves or an admin.
        """
        member = _member(member_id)
        return {"member_id": member_id, "consents": consent_store.current(current_service().store.db, member)}

    @require_auth()
    @self_or_admin("change the consents of")
    @idempotent
    @blp.arguments(ConsentChangeSchema)
    @blp.response(201, ConsentEntrySchema)
    @blp.alt_response(403, description="Neither the member nor an admin, or a member claiming "
                                       "admin_on_request (problem+json).")
    @blp.alt_response(404, description="No such member, or erased (problem+json).")
    def post(self, change: dict, member_id: str):
        """Record a consent decision (appended to the ledger; publishes `members.consent.changed`).

        The member records `profile_page` or `unsubscribe_link`; an admin changing another
        member's consent must record `admin_on_request` with a `reason`. Send an
        `Idempotency-Key` header to make retries safe.
        """
        principal = g.principal
        if change["source"] == consent.ADMIN_ON_REQUEST and not principal.is_admin:
            raise Problem(403, "Only an admin records consent on a member's request.", kind="forbidden")
        if principal.subject != member_id and change["source"] != consent.ADMIN_ON_REQUEST:
            raise Problem(422, "An admin changing a member's consent records source admin_on_request.",
                          kind="validation", errors={"source": ["Must be admin_on_request for an admin."]})
        try:
            entry = consent_store.record(current_service().store, member_id, change,
                                         recorded_by=principal.subject, reason=change.get("reason"))
        except consent_store.MemberNotFound:
            raise Problem(404, "No such member.", kind="not-found") from None
        return entry, 201


@blp.route("/<member_id>/consents/history")
@require_auth()
@self_or_admin("see the consents of")
@blp.arguments(HistoryQuerySchema, location="query")
@blp.response(200, HistoryPageSchema)
@blp.alt_response(403, description="Neither the member nor an admin (problem+json).")
@blp.alt_response(404, description="No such member, or erased (problem+json).")
def consent_history(query: dict, member_id: str):
    """The consent ledger, newest first, paginated; the implicit sign-up entries come last."""
    member = _member(member_id)
    items, total = consent_store.history(current_service().store.db, member, query["page"], query["per_page"])
    return pagination.page(items, query, total)
