"""MongoDB access shared by every service: client factory, one database per service,
index declaration at start-up and a multi-document transaction helper.

The same code talks to a real MongoDB replica set in production and to a local SecantusDB
server in tests and dev mode; only ``MONGO_URL`` differs. Services keep their own queries in
their ``store.py`` on top of ``ServiceStore``.
"""
from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TypeVar

import pymongo
from pymongo import ASCENDING, MongoClient
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

log = logging.getLogger(__name__)
T = TypeVar("T")

_clients: dict[str, MongoClient] = {}
TRANSACTION_TIMEOUT_S = 20.0
# The transaction that nested ``transaction`` calls join (see ``ServiceStore.transaction``).
_enclosing: ContextVar[ClientSession | None] = ContextVar("enclosing_transaction", default=None)


def client_for(url: str) -> MongoClient:
    """One pooled client per URL and process (pymongo clients are thread-safe and costly)."""
    client = _clients.get(url)
    if client is None:
        client = MongoClient(
            url,
            w="majority",
            retryWrites=True,
            serverSelectionTimeoutMS=5000,
            connectTimeoutMS=5000,
            tz_aware=True,
            appname="alumnet",
        )
        _clients[url] = client
    return client


@dataclass(frozen=True)
class Index:
    """An index a service needs, declared next to the queries that use it."""

    collection: str
    keys: list[tuple[str, int]]
    unique: bool = False
    name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def create(self, db: Database) -> None:
        kwargs = dict(self.options)
        if self.name:
            kwargs["name"] = self.name
        db[self.collection].create_index(self.keys, unique=self.unique, **kwargs)


def asc(*names: str) -> list[tuple[str, int]]:
    return [(name, ASCENDING) for name in names]


class ServiceStore:
    """Base of each service's store: its database, its indexes and transactions."""

    indexes: Iterable[Index] = ()

    def __init__(self, mongo_url: str, database: str):
        self.client = client_for(mongo_url)
        self.db: Database = self.client[database]

    def all_indexes(self) -> list[Index]:
        """The service's own indexes plus those of the shared outbox, inbox, idempotency and
        access revocations."""
        from shared import revocations
        from shared.bus.outbox import OUTBOX_INDEXES
        from shared.bus.inbox import INBOX_INDEXES
        from shared.web.idempotency import IDEMPOTENCY_INDEXES
        return [*self.indexes, *OUTBOX_INDEXES, *INBOX_INDEXES, *IDEMPOTENCY_INDEXES, *revocations.INDEXES]

    def create_indexes(self) -> None:
        for index in self.all_indexes():
            index.create(self.db)

    def ping(self) -> bool:
        try:
            self.client.admin.command("ping")
            return True
        except PyMongoError:
            return False

    def transaction(self, work: Callable[[ClientSession], T], *, timeout_s: float = TRANSACTION_TIMEOUT_S,
                    enclose: bool = False) -> T:
        """Run ``work(session)`` in one multi-document transaction, retried on transient errors.

        Every write inside must pass ``session=session``; that is what makes a state change and
        the events it causes (the outbox) one atomic step. The whole attempt, retries included,
        is bounded by ``timeout_s`` (pymongo would otherwise retry for two minutes while the
        store is unreachable).

        With ``enclose``, every ``transaction`` called inside ``work`` on this store's client (in
        the same thread) joins this one instead of committing on its own, so that a caller can
        add its writes to the same atomic step (``shared.web.idempotency`` stores a request's
        result with what the request wrote).
        """
        joined = _enclosing.get()
        if joined is not None and joined.client is self.client:
            return work(joined)
        attempt = _enclosing_all(work) if enclose else work
        with pymongo.timeout(timeout_s), self.client.start_session() as session:
            return session.with_transaction(
                attempt,
                read_concern=ReadConcern("snapshot"),
                write_concern=WriteConcern("majority"),
            )


def _enclosing_all(work: Callable[[ClientSession], T]) -> Callable[[ClientSession], T]:
    def attempt(session: ClientSession) -> T:
        token = _enclosing.set(session)
        try:
            return work(session)
        finally:
            _enclosing.reset(token)
    return attempt
