"""Counting the store commands an operation sends (pymongo command monitoring), for the
budget tests and the benchmarks: what an operation costs in round trips does not depend on
how fast the store is, so it can be held to a budget on any store.

    counter = StoreCommands.install()          # before the clients are made
    with counter.counting("alumnet_members") as seen:
        client.get(...)                        # one HTTP request, one handled message
    seen.total, seen.by_kind                   # {"find": 1, "update": 1, "commitTransaction": 1}
    seen.documents                             # the documents the replies' cursors carried

Only commands of the named databases count (``admin`` commands such as ``commitTransaction``
are counted when the session that sends them is inside a counted window, since a transaction
commit is a round trip of the operation). Driver housekeeping (``hello``, ``endSessions``)
is never counted. Counting is per process and for one window at a time.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from pymongo import monitoring

# Commands a driver sends on its own (topology, sessions), not because the operation asked.
HOUSEKEEPING = frozenset({"hello", "ismaster", "isMaster", "endSessions", "ping", "buildInfo", "saslStart",
                          "saslContinue", "killCursors"})
TRANSACTION = frozenset({"commitTransaction", "abortTransaction"})


@dataclass
class Seen:
    """The commands one window sent, by kind (``find``, ``update``, ``insert``, ``aggregate``,
    ``commitTransaction``, ``getMore``, ...) and by (kind, collection); ``documents``: how many
    documents the replies of those commands carried in their cursors' batches (what a read
    brought back, beside how many reads it took)."""

    by_kind: Counter = field(default_factory=Counter)
    by_collection: Counter = field(default_factory=Counter)
    documents: int = 0
    # Request ids of the commands counted whose reply has not come yet.
    waiting: set = field(default_factory=set, repr=False, compare=False)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def __str__(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.by_kind.items())) or "none"


class StoreCommands(monitoring.CommandListener):
    """A process-wide listener; ``counting`` opens a window that records what is sent."""

    _installed: "StoreCommands | None" = None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._databases: frozenset[str] = frozenset()
        self._seen: Seen | None = None

    @classmethod
    def install(cls) -> "StoreCommands":
        """The process's counter, registered with pymongo once (it sees clients made after)."""
        if cls._installed is None:
            cls._installed = cls()
            monitoring.register(cls._installed)
        return cls._installed

    @contextmanager
    def counting(self, *databases: str) -> Iterator[Seen]:
        seen = Seen()
        with self._lock:
            if self._seen is not None:
                raise RuntimeError("one counting window at a time")
            self._databases, self._seen = frozenset(databases), seen
        try:
            yield seen
        finally:
            with self._lock:
                self._seen, self._databases = None, frozenset()

    def started(self, event) -> None:
        name = event.command_name
        if name in HOUSEKEEPING:
            return
        with self._lock:
            seen = self._seen
            if seen is None or (event.database_name not in self._databases and name not in TRANSACTION):
                return
            target = event.command.get(name)
            seen.by_kind[name] += 1
            seen.by_collection[(name, target if isinstance(target, str) else "")] += 1
            seen.waiting.add(event.request_id)

    def succeeded(self, event) -> None:
        with self._lock:
            seen = self._seen
            if seen is None or event.request_id not in seen.waiting:
                return
            seen.waiting.discard(event.request_id)
            cursor = event.reply.get("cursor") or {}
            seen.documents += len(cursor.get("firstBatch", cursor.get("nextBatch", [])))

    def failed(self, event) -> None:
        with self._lock:
            if self._seen is not None:
                self._seen.waiting.discard(event.request_id)
