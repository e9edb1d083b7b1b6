"""Time-limited leases in MongoDB, so that one of several worker copies does a singleton job
(the outbox relay, a timer) and another takes over when the holder dies.

A lease is claimed by one atomic ``find_one_and_update`` on a document keyed by the job name;
the unique ``_id`` makes two simultaneous first claims collide instead of both winning.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta, timezone

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    def __init__(self, db: Database, name: str, ttl_s: float = 10.0, holder: str | None = None):
        self.collection = db["leases"]
        self.name = name
        self.ttl = timedelta(seconds=ttl_s)
        self.holder = holder or holder_id()
        self._held_until: datetime | None = None

    def acquire(self) -> bool:
        """Claim or renew the lease; True while this process holds it.

        A lease held with more than two thirds of its time left is not renewed, so a busy
        loop asking every few milliseconds costs no write."""
        now = datetime.now(timezone.utc)
        if self._held_until is not None and self._held_until - now > self.ttl * 2 / 3:
            return True
        try:
            # No match (held by another, unexpired) makes the upsert insert a second document
            # with the same _id, which the unique _id index refuses.
            self.collection.find_one_and_update(
                {"_id": self.name, "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "expires_at": now + self.ttl}},
                upsert=True,
            )
        except DuplicateKeyError:
            self._held_until = None
            return False  # someone else holds an unexpired lease
        self._held_until = now + self.ttl
        return True

    def release(self) -> None:
        self._held_until = None
        self.collection.delete_one({"_id": self.name, "holder": self.holder})
