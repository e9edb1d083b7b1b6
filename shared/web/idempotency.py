"""``Idempotency-Key`` support for POST endpoints.

The first request with a key claims it (a unique ``_id`` in the service's ``idempotency``
collection: method, path, caller and key), then runs in one store transaction that every
transaction of the view joins (``ServiceStore.transaction(enclose=True)``), and its response is
stored in that same transaction. So a request either wrote and kept its response, or wrote
nothing and frees its key: a failure anywhere after the view's own write can never let a retry
create twice. A retry with the same key and body gets the first response again
(``Idempotent-Replayed: true``); the same key with another body is refused (422) and a retry
while the first still runs gets 409, neither carrying anything of the first request.

A claim lasts the request's deadline (``DEADLINE_S``), after which its transaction can no longer
commit: an older claim still ``running`` belongs to a dead worker and is taken over. A slow
request whose claim was taken over finds it gone inside its transaction and commits nothing.

Replays are bound to the caller (another caller's key is another key). On anonymous routes the
body must be the same in every field: secret fields (a password) are compared through a salted
slow hash, so the record keeps neither a secret nor a fast hash of one.

A stored reply repeats what was sent and answered, so erasing a member purges their replays
(``purge_member``): those of their own requests, those of requests on a path naming them, and
those a view tagged as being about them (``about``: an anonymous sign-up names its new member).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import uuid
from datetime import timedelta

import pymongo
from flask import Response, g, request
from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from shared import clock
from shared.store import Index
from shared.web.problems import Problem

COLLECTION = "idempotency"
RETENTION_S = 24 * 3600
IDEMPOTENCY_INDEXES = [
    Index(COLLECTION, [("created_at", ASCENDING)], name="idempotency_ttl",
          options={"expireAfterSeconds": RETENTION_S}),
]
HEADER = "Idempotency-Key"
# The request's deadline: gunicorn's timeout (deploy/gunicorn.conf.py, 30 s) kills a worker
# stuck longer, and the request's transaction cannot commit after it (``pymongo.timeout``).
DEADLINE_S = 30.0
RUNNING, DONE = "running", "done"
SECRET_FIELDS = ("password", "new_password", "token", "refresh_token")


def idempotent(view):
    """Decorate a POST view (directly under ``@blp.route``, below ``@require_auth``) to honour
    ``Idempotency-Key``. The view's writes must go through ``store.transaction``."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255:
            raise Problem(400, f"{HEADER} must be 1 to 255 characters.", kind="validation",
                          errors={HEADER: ["Length must be between 1 and 255."]})
        return _Attempt(key).run(lambda: view(*args, **kwargs))

    # Document the header in OpenAPI (flask-smorest merges ``manual_doc`` into the operation).
    doc = getattr(wrapper, "_apidoc", {})
    manual = doc.get("manual_doc", {})
    wrapper._apidoc = {**doc, "manual_doc": {**manual, "parameters": [*manual.get("parameters", []), {
        "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
        "description": "Makes a retry safe: the same key and body return the first response "
                       "and create nothing twice (kept 24 hours).",
    }]}}
    return wrapper


class _Unkept(Exception):
    """A 5xx answer: its writes are rolled back and the key freed, so a retry runs again."""

    def __init__(self, response: Response):
        self.response = response


class _Attempt:
    """One request with a key: claim it, run the view and keep its response atomically."""

    def __init__(self, key: str):
        from shared.web.app import current_service
        self.service = current_service()
        self.collection: Collection = self.service.store.db[COLLECTION]
        principal = g.get("principal")
        self.scope = f"{request.method} {request.path} {principal.subject if principal else '-'} {key}"
        self.claim = uuid.uuid4().hex
        self.body = request.get_data()

    def run(self, view) -> Response:
        claimed = False
        try:
            with pymongo.timeout(DEADLINE_S):
                earlier = self._take()
                if earlier is not None:
                    return _replay(earlier, self.body)
                claimed = True
                return self.service.store.transaction(lambda session: self._keep(session, view()),
                                                      enclose=True, timeout_s=DEADLINE_S)
        except _Unkept as failed:
            self._release()
            return failed.response
        except BaseException:
            if claimed:
                self._release()
            raise

    def _take(self) -> dict | None:
        """Claim the key; or return its record when another request holds it."""
        now = clock.now()  # wall time, as the TTL index's: a service's test clock may stand in the past
        claim = {"state": RUNNING, "claim": self.claim, "created_at": now, **_fingerprint(self.body)}
        try:
            self.collection.insert_one({"_id": self.scope, **claim})
            return None
        except DuplicateKeyError:
            pass
        orphaned = {"_id": self.scope, "state": RUNNING, "created_at": {"$lte": now - timedelta(seconds=DEADLINE_S)}}
        if self.collection.find_one_and_update(orphaned, {"$set": claim}) is not None:
            return None
        return self.collection.find_one({"_id": self.scope}) or {"state": RUNNING}

    def _keep(self, session: ClientSession, response: Response) -> Response:
        if response.status_code >= 500:
            raise _Unkept(response)
        kept = self.collection.update_one({"_id": self.scope, "claim": self.claim, "state": RUNNING}, {"$set": {
            "state": DONE, "status": response.status_code, "body": response.get_data(),
            "content_type": response.content_type, "location": response.headers.get("Location"),
            "about": sorted(g.get(_ABOUT, ()))}},
            session=session)
        if kept.matched_count != 1:  # taken over past the deadline: the other request decides
            raise _in_progress()
        return response

    def _release(self) -> None:
        """Nothing was written: the key may be used again (unless another request holds it)."""
        self.collection.delete_one({"_id": self.scope, "claim": self.claim, "state": RUNNING})


_ABOUT = "idempotency_about"


def about(member_id: str) -> None:
    """Tag the reply of the current request as being about ``member_id``, so that erasing
    that member purges it (``purge_member``); for replies that name no one in their key."""
    g.setdefault(_ABOUT, set()).add(member_id)


def purge_member(db, session: ClientSession | None, member_id: str) -> int:
    """Delete every stored reply about a member (erasure): of their own requests (the caller in
    the key), of requests whose path names them, and those tagged with ``about``."""
    named = re.escape(member_id)
    # No index serves the pattern: a scan, of replies kept a day, once per erasure.
    return db[COLLECTION].delete_many({"$or": [
        {"about": member_id},
        # The key is "<method> <path> <caller> <key>": the id as a path segment or the caller.
        {"_id": {"$regex": f"^[A-Z]+ [^ ]*/{named}(/[^ ]*)? |^[A-Z]+ [^ ]+ {named} "}},
    ]}, session=session).deleted_count


def _fingerprint(body: bytes) -> dict:
    """What identifies the request body: a hash of its fields but the secret ones, and a
    salted scrypt of those (a password must not be kept 24 h as a fast hash)."""
    fingerprint, secrets = _split(body)
    salt = os.urandom(16)
    return {"fingerprint": fingerprint,
            "secrets": {"salt": salt.hex(), "scrypt": _scrypt(secrets, salt).hex()} if secrets else None}


def _same_body(record: dict, body: bytes) -> bool:
    fingerprint, secrets = _split(body)
    first = record.get("secrets")
    if fingerprint != record["fingerprint"] or bool(secrets) != bool(first):
        return False
    return not secrets or hmac.compare_digest(_scrypt(secrets, bytes.fromhex(first["salt"])).hex(), first["scrypt"])


def _split(body: bytes) -> tuple[str, dict]:
    """A hash of the body without its secret fields, and those fields."""
    try:
        data = json.loads(body)
    except ValueError:
        return hashlib.sha256(body).hexdigest(), {}
    secrets = {k: data.pop(k) for k in SECRET_FIELDS if k in data} if isinstance(data, dict) else {}
    return hashlib.sha256(_canonical(data)).hexdigest(), secrets


def _canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()


def _scrypt(secrets: dict, salt: bytes) -> bytes:
    return hashlib.scrypt(_canonical(secrets), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)


def _in_progress() -> Problem:
    return Problem(409, "A request with this Idempotency-Key is still being processed.",
                   kind="idempotency-in-progress")


def _replay(record: dict, body: bytes) -> Response:
    if record.get("state") != DONE:
        raise _in_progress()
    if not _same_body(record, body):
        raise Problem(422, "This Idempotency-Key was used with a different request body.",
                      kind="idempotency-mismatch", errors={HEADER: ["Used with a different body."]})
    response = Response(record["body"], status=record["status"], content_type=record["content_type"])
    if record.get("location"):
        response.headers["Location"] = record["location"]
    response.headers["Idempotent-Replayed"] = "true"
    return response
