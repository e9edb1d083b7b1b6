"""``Idempotency-Key`` support for POST endpoints.

The first request with a key claims it (a unique ``_id`` in the service's ``idempotency``
collection) and stores its response; a retry with the same key and body gets that response
again (``Idempotent-Replayed: true``) and creates nothing; the same key with a different body
is refused, and a retry while the first is still running gets 409.
"""
from __future__ import annotations

import functools
import hashlib
import json
from datetime import datetime, timezone

from flask import Response, g, request
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.store import Index
from shared.web.problems import Problem

COLLECTION = "idempotency"
RETENTION_S = 24 * 3600
IDEMPOTENCY_INDEXES = [
    Index(COLLECTION, [("created_at", ASCENDING)], name="idempotency_ttl",
          options={"expireAfterSeconds": RETENTION_S}),
]
HEADER = "Idempotency-Key"


def idempotent(view):
    """Decorate a POST view (directly under ``@blp.route``) to honour ``Idempotency-Key``."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255:
            raise Problem(400, f"{HEADER} must be 1 to 255 characters.", kind="validation",
                          errors={HEADER: ["Length must be between 1 and 255."]})
        from shared.web.app import current_service
        collection = current_service().store.db[COLLECTION]
        principal = g.get("principal")
        scope = f"{request.method} {request.path} {principal.subject if principal else '-'} {key}"
        fingerprint = _fingerprint(request.get_data())
        try:
            collection.insert_one({"_id": scope, "fingerprint": fingerprint, "state": "running",
                                   "created_at": datetime.now(timezone.utc)})
        except DuplicateKeyError:
            return _replay(collection.find_one({"_id": scope}), fingerprint)
        try:
            response: Response = view(*args, **kwargs)
        except BaseException:
            collection.delete_one({"_id": scope})  # nothing was created: the key may be retried
            raise
        if response.status_code >= 500:
            collection.delete_one({"_id": scope})
        else:
            collection.update_one({"_id": scope}, {"$set": {
                "state": "done", "status": response.status_code, "body": response.get_data(),
                "content_type": response.content_type, "location": response.headers.get("Location")}})
        return response

    # Document the header in OpenAPI (flask-smorest merges ``manual_doc`` into the operation).
    doc = getattr(wrapper, "_apidoc", {})
    manual = doc.get("manual_doc", {})
    wrapper._apidoc = {**doc, "manual_doc": {**manual, "parameters": [*manual.get("parameters", []), {
        "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
        "description": "Makes a retry safe: the same key and body return the first response "
                       "and create nothing twice (kept 24 hours).",
    }]}}
    return wrapper


SECRET_FIELDS = ("password", "new_password", "token", "refresh_token")


def _fingerprint(body: bytes) -> str:
    """A hash of the request body that is kept 24 h: secret fields are left out, so that the
    record is no fast hash of a password (a retry with another password replays anyway)."""
    try:
        data = json.loads(body)
    except ValueError:
        return hashlib.sha256(body).hexdigest()
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in SECRET_FIELDS}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _replay(record: dict | None, fingerprint: str) -> Response:
    if record is None or record.get("state") != "done":
        raise Problem(409, "A request with this Idempotency-Key is still being processed.",
                      kind="idempotency-in-progress")
    if record["fingerprint"] != fingerprint:
        raise Problem(422, "This Idempotency-Key was used with a different request body.",
                      kind="idempotency-mismatch", errors={HEADER: ["Used with a different body."]})
    response = Response(record["body"], status=record["status"], content_type=record["content_type"])
    if record.get("location"):
        response.headers["Location"] = record["location"]
    response.headers["Idempotent-Replayed"] = "true"
    return response
