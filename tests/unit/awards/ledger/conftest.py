"""The awards app under Flask's test client on the session's local store (a database per
test), its clock stopped at ``NOW``, and the ledger's world: activity events handled as the
consumer handles them (``deliver``), cycles registered as the cycles feature registers them
(``open_cycle``), and members in the awards members view (``view``)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from services.awards import handlers
from services.awards.ledger import rules
from services.awards.ledger import store as ledger_store
from shared import memberview
from shared.bus.envelope import Envelope, producer_of, utc_now_rfc3339
from shared.clock import FixedClock
from tests.support import bearer, consumer_like

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=timezone.utc)
YEAR_2026 = (datetime(2025, 12, 31, 22, 0, tzinfo=timezone.utc), datetime(2026, 12, 31, 22, 0, tzinfo=timezone.utc))
A = "/api/v1/awards"


def envelope(event_type: str, data: dict, event_id: str | None = None) -> Envelope:
    return Envelope(id=event_id or str(uuid.uuid4()), source=producer_of(event_type), type=event_type,
                    time=utc_now_rfc3339(), subject="s", data=data, correlationid="c")


def checked_in(member_id: str, at: datetime) -> tuple[str, dict]:
    return rules.CHECKED_IN, {"event_id": "e1", "registration_id": uuid.uuid4().hex, "member_id": member_id,
                              "guests": 0, "kind": "reunion", "checked_in_at": at.isoformat()}


def accepted(mentor_id: str, at: datetime) -> tuple[str, dict]:
    return rules.MENTORSHIP_ACCEPTED, {"mentor_id": mentor_id, "mentee_id": "x" * 32, "mentorship_id": uuid.uuid4().hex,
                                       "accepted_at": at.isoformat()}


def hours(member_id: str, on: str, h: float) -> tuple[str, dict]:
    return rules.HOURS_CONFIRMED, {"cause_id": "c1", "volunteer_id": uuid.uuid4().hex, "member_id": member_id,
                                   "hours": h, "on": on}


@pytest.fixture
def clock() -> FixedClock:
    """The ledger's own moment (the app, client, store and db fixtures of ``tests/unit/awards``
    take it)."""
    return FixedClock(NOW)


@pytest.fixture
def deliver(store):
    """``deliver(event_type, data, event_id=None)``: one event handled as the consumer does;
    ``deliver.batch(*envelopes)``: a batch, in one transaction, as the consumer takes them."""
    handle = consumer_like(store, handlers.subscriptions())

    def send(event_type: str, data: dict, event_id: str | None = None):
        return handle(envelope(event_type, data, event_id))
    send.batch = handle
    return send


@pytest.fixture
def open_cycle(db):
    def register(cycle_id: str = "2026", version: str = rules.CURRENT, period=YEAR_2026) -> str:
        ledger_store.open_cycle(db, None, cycle_id, version, *period)
        return cycle_id
    return register


@pytest.fixture
def view(db):
    """``view(member_id, status="verified", **names)``: the member as the awards members view
    keeps them (``shared.memberview``, as the cycles feature's handlers do)."""
    def put(member_id: str, status: str = "verified", **names) -> str:
        memberview.merge_member(db[ledger_store.MEMBER_VIEW], None, member_id, {"status": status, **names})
        return member_id
    return put


@pytest.fixture
def as_member(issue_token):
    return lambda member_id, *roles: bearer(issue_token(member_id, *(roles or ("alumnus",))))


@pytest.fixture
def admin(issue_token):
    return bearer(issue_token("a" * 32, "admin"))
