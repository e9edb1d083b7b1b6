"""Time-limited leases in MongoDB, so that one of several worker copies does a singleton job
(the outbox relay, a timer) and another takes over when the holder dies.

- One document per job name. A claim is one atomic update that takes the lease only if this
  holder has it already or it has expired; two simultaneous first claims collide on the
  unique ``_id`` instead of both winning.
- Expiry is reckoned by the **store's clock** (``$$NOW`` in the update), never by the hosts'
  wall clocks, so a host whose clock is off cannot take over early or hold on too long. The
  holder counts its own time with a monotonic clock from the moment it *sent* the claim,
  which ends no later than the store's expiry.
- Each change of holder raises the lease's **epoch**. A job that writes shared state stamps
  it with its epoch and refuses to write over a newer one (a fence): a holder that stalled
  past its expiry and wakes up after a takeover cannot undo its successor's work.
"""
from __future__ import annotations

import os
import socket
import time
import uuid
from typing import Callable

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    def __init__(self, db: Database, name: str, ttl_s: float = 10.0, holder: str | None = None,
                 monotonic: Callable[[], float] = time.monotonic):
        self.collection = db["leases"]
        self.name = name
        self.ttl_s = ttl_s
        self.holder = holder or holder_id()
        self.epoch: int | None = None
        # The holder's own count; a test passes a clock it moves instead of waiting.
        self._monotonic = monotonic
        self._valid_until: float | None = None  # by self._monotonic

    def remaining_s(self) -> float:
        """How long this process surely still holds the lease (0 when it does not)."""
        if self._valid_until is None:
            return 0.0
        return max(0.0, self._valid_until - self._monotonic())

    def acquire(self) -> bool:
        """Claim or renew the lease; True while this process holds it.

        A lease held with more than two thirds of its time left is not renewed, so a busy
        loop asking every few milliseconds costs no write."""
        if self.remaining_s() > self.ttl_s * 2 / 3:
            return True
        sent_at = self._monotonic()
        # Compared as milliseconds: the embedded store (SecantusDB 0.7) finds every stored date
        # equal to $$NOW, while numbers compare alike on both stores.
        unexpired = {"$gt": [{"$toLong": "$expires_at"}, {"$toLong": "$$NOW"}]}
        mine = {"$or": [{"$eq": ["$holder", self.holder]}, {"$not": [unexpired]}]}
        try:
            doc = self.collection.find_one_and_update({"_id": self.name}, [
                {"$set": {"_mine": mine, "_new_holder": {"$ne": ["$holder", self.holder]}}},
                {"$set": {
                    "epoch": {"$cond": [{"$and": ["$_mine", "$_new_holder"]},
                                        {"$add": [{"$ifNull": ["$epoch", 0]}, 1]}, "$epoch"]},
                    "holder": {"$cond": ["$_mine", self.holder, "$holder"]},
                    "expires_at": {"$cond": ["$_mine", {"$add": ["$$NOW", int(self.ttl_s * 1000)]},
                                             "$expires_at"]},
                }},
                {"$unset": ["_mine", "_new_holder"]},
            ], upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            doc = None  # another process's first claim won the insert
        if doc is None or doc.get("holder") != self.holder:
            self._valid_until, self.epoch = None, None
            return False
        self._valid_until, self.epoch = sent_at + self.ttl_s, doc["epoch"]
        return True

    def release(self) -> None:
        """Let another holder take over now; the epoch stays, so fences keep counting up."""
        self._valid_until, self.epoch = None, None
        self.collection.update_one({"_id": self.name, "holder": self.holder},
                                   [{"$set": {"expires_at": "$$NOW"}}])
