"""A member's data export (GDPR access and portability), answered the same way by every
service's ``GET .../members/{member_id}/export`` route.

- The member themselves or an admin (``self_or_admin``), checked before anything is read, so
  others learn nothing, not even whether the service knows the id.
- A member the service remembers as erased is a 404 problem, as the members service answers;
  an id it holds nothing about is an export with empty parts (a service cannot tell an unknown
  id from a member it has not heard of yet).
- The body is JSON: ``exported_at``, ``service`` and the service's parts, stored documents as
  plain JSON (ISO 8601 times, ``_id`` as ``id``); read models lose their bookkeeping
  (``field_times``) and search keys (``memberfilter.DERIVED_FIELDS``), which are not data about
  the member. ``Content-Disposition`` names the file after the service and the member.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime, timezone

from bson import ObjectId
from flask import g

from shared import memberfilter
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.problems import Problem

# What a read model keeps beside the member's fields: when each field changed, search keys, and
# the count of writes that held the member against an erasure (``memberview.hold_member``).
BOOKKEEPING = ("field_times", "holds", *memberfilter.DERIVED_FIELDS)
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9_-]")


def jsonable(value):
    """Stored documents as plain JSON: ISO 8601 times, ``_id`` as ``id``."""
    if isinstance(value, dict):
        return {("id" if k == "_id" else k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def without(doc: dict | None, *names: str) -> dict | None:
    """``doc`` without the fields ``names`` (``None`` stays ``None``)."""
    if doc is None:
        return None
    return {k: v for k, v in doc.items() if k not in names}


def only(doc: dict, names: tuple[str, ...]) -> dict:
    """The fields ``names`` of ``doc`` that it has."""
    return {k: doc[k] for k in names if k in doc}


def read_model_entry(doc: dict | None) -> dict | None:
    """A service's copy of a member (its read model), without its bookkeeping."""
    return without(doc, *BOOKKEEPING)


def self_or_admin(view):
    """Route decorator (under ``require_auth``): the member named by ``member_id`` or an admin."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        principal = g.principal
        if principal.subject != kwargs.get("member_id") and not principal.is_admin:
            raise Problem(403, "You may only export your own data.", kind="forbidden")
        return view(*args, **kwargs)
    return wrapper


def download(service: str, member_id: str, parts: dict | None):
    """The route's answer: the export of ``parts`` as a file, or a 404 problem for ``None``
    (a member the service remembers as erased)."""
    if parts is None:
        raise Problem(404, "No such member, or erased.", kind="not-found")
    body = {"exported_at": datetime.now(timezone.utc), "service": service,
            **{k: jsonable(v) for k, v in parts.items()}}
    filename = f"alumnet-{service}-{_UNSAFE_IN_FILENAME.sub('_', member_id)[:64]}.json"
    return body, 200, {"Content-Disposition": f'attachment; filename="{filename}"'}


def route(blp, schema, service: str, export, summary: str) -> None:
    """Register ``GET <blp prefix>/members/<member_id>/export`` on ``blp``: ``export(db,
    member_id)`` (the service's store function) answered as a download documented by ``schema``
    (the response's OpenAPI schema) and ``summary`` (the operation's docstring)."""
    def export_member(member_id: str):
        return download(service, member_id, export(current_service().store.db, member_id))
    export_member.__doc__ = summary
    view = blp.alt_response(404, description="The member was erased (problem+json).")(export_member)
    view = blp.alt_response(403, description="Neither the member nor an admin (problem+json).")(view)
    view = blp.response(200, schema)(view)
    blp.route("/members/<member_id>/export")(require_auth()(self_or_admin(view)))
