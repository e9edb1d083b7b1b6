"""HTTP routes: GDPR: a member's data export and erasure.

- ``GET /api/v1/members/{id}/export``: everything the members service holds about the member,
  as JSON (secrets such as password and token hashes left out). The member or an admin.
- ``DELETE /api/v1/members/{id}``: erasure. The member themselves, or an admin with a
  ``reason``. Personal data is removed at once; other services forget the member when they
  receive ``members.member.erased`` (hence 202); the member's tokens stop working everywhere
  within seconds (``members.access.revoked``). Erasing again answers 202 with the first
  erasure's record and publishes nothing.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import g
from marshmallow import Schema, fields, validate

from services.members.consent.api import self_or_admin
from services.members.privacy import store as privacy_store
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.export import jsonable
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("members_privacy", __name__, url_prefix="/api/v1/members",
                description="GDPR: a member's data export and erasure.")


class ConsentExportSchema(Schema):
    current = fields.List(fields.Dict(), metadata={"description": "effective state per channel and category"})
    ledger = fields.List(fields.Dict(), metadata={"description": "every decision, newest first"})


class ExportSchema(Schema):
    exported_at = fields.AwareDateTime()
    service = fields.String(metadata={"description": "always members: other services export their own"})
    member = fields.Dict(metadata={"description": "the member record, every stored field"})
    consents = fields.Nested(ConsentExportSchema)
    credentials = fields.Dict(allow_none=True, metadata={"description": "login record without the password hash"})
    refresh_tokens = fields.List(fields.Dict(), metadata={"description": "sessions, without token hashes"})
    password_resets = fields.List(fields.Dict(), metadata={"description": "reset requests, without token hashes"})
    login_failures = fields.Dict(allow_none=True, metadata={"description": "the account's failed-login counter"})
    email_changes = fields.List(fields.Dict(), metadata={"description": "address changes asked for, confirmed or "
                                                                        "undoable, without token hashes"})
    surveys = fields.Dict(metadata={"description": "`responses`: the member's named survey responses; "
                                                   "`participation`: the surveys they took part in (anonymous "
                                                   "responses are linked to no one)"})
    ambassadors = fields.Dict(metadata={"description": "`applications`, `ambassador` (the record and listing), "
                                                       "`contacts` (without the contacts' addresses) and "
                                                       "`activities` of the ambassador programme"})


class ErasureQuerySchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=500),
                           metadata={"description": "required when an admin erases another member"})


class ErasureSchema(Schema):
    member_id = fields.String(attribute="_id")
    status = fields.String(dump_default="erased")
    erased_at = fields.AwareDateTime()
    requested_by = fields.String(metadata={"description": "self or admin"})


@blp.route("/<member_id>/export")
@require_auth()
@self_or_admin("export")
@blp.response(200, ExportSchema)
@blp.alt_response(403, description="Neither the member nor an admin (problem+json).")
@blp.alt_response(404, description="No such member, or erased (problem+json).")
def export_member(member_id: str):
    """Download everything the members service holds about a member (GDPR access and
    portability). The member themselves or an admin."""
    data = privacy_store.export(current_service().store.db, member_id)
    if data is None:
        raise Problem(404, "No such member.", kind="not-found")
    body = {"exported_at": datetime.now(timezone.utc), "service": "members",
            **{k: jsonable(v) for k, v in data.items()}}
    return body, 200, {"Content-Disposition": f'attachment; filename="alumnet-member-{member_id}.json"'}


@blp.route("/<member_id>", methods=["DELETE"])
@require_auth()
@self_or_admin("erase")
@blp.arguments(ErasureQuerySchema, location="query")
@blp.response(202, ErasureSchema)
@blp.alt_response(403, description="Neither the member nor an admin (problem+json).")
@blp.alt_response(404, description="No such member (problem+json).")
def erase_member(query: dict, member_id: str):
    """Erase an account (GDPR erasure).

    The member themselves, or an admin giving a `reason`. Personal data is removed at once and
    an anonymous tombstone kept; `members.member.erased` tells other services to forget the
    member. Repeating the call answers 202 with the same record and publishes nothing.
    """
    principal = g.principal
    by_self = principal.subject == member_id
    if not by_self and not query.get("reason"):
        raise Problem(422, "An admin erasing a member must give a reason.", kind="validation",
                      errors={"reason": ["Required when an admin erases a member."]})
    try:
        record, _ = privacy_store.erase(
            current_service().store, member_id, requested_by="self" if by_self else "admin",
            admin_id=None if by_self else principal.subject, reason=None if by_self else query["reason"])
    except privacy_store.MemberNotFound:
        raise Problem(404, "No such member.", kind="not-found") from None
    return record
