"""Test helpers: waiting on a condition with a deadline (never a bare sleep), a local port
that refuses connections, and the bearer header and problem checks the API tests share."""
from __future__ import annotations

import socket
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from kombu import Exchange

T = TypeVar("T")
# The broker's default exchange, into any queue by its name: tests (as guest) put raw messages
# straight into a queue with it; no service's broker user may write it (alumnet/keys.py).
DEFAULT_EXCHANGE = Exchange("", type="direct")


def wait_until(condition: Callable[[], T], timeout_s: float = 10.0, interval_s: float = 0.02,
               message: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g}s waiting for {message} (last: {value!r})")
        time.sleep(interval_s)


@contextmanager
def refusing_port() -> Iterator[int]:
    """A local port that refuses connections for as long as it is held: bound, never
    listening. (A port only found free and closed again could be taken, and answered, by
    another process meanwhile.)"""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


PROBLEM = "application/problem+json"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int) -> dict:
    """A Flask test response is an RFC 9457 problem with ``status``; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return response.get_json(force=True)


def outbox_events(db, event_type: str) -> list[dict]:
    """The envelopes of ``event_type`` a service put in its outbox, in commit order."""
    import json
    return [json.loads(doc["body"]) for doc in db.outbox.find({"type": event_type}).sort("order", 1)]


def consumer_like(store, subscriptions, *, inbox: bool = False):
    """A function handling events as the consumer does: through the wire format, validated
    with the subscription's expectation, one store transaction (``handle(event, *more)``: a
    batch, in that order), the before-commit hooks in it, then the after-commit hooks.
    ``inbox``: the transaction also reads and records the inbox first, as
    ``Consumer._store_effects`` does (what a count of store commands must see).
    Returns the (last) event as its handler got it."""
    from shared.bus import inbox as inbox_records
    from shared.bus.consumer import HandlerContext
    from shared.bus.envelope import decode

    by_type = {s.event_type: s for s in subscriptions}

    def handle(*events):
        accepted = []
        for event in events:
            event = decode(event.to_json())
            accepted.append((by_type[event.type], by_type[event.type].accept(event)))
        after_commit = []

        def work(session):
            after_commit.clear()
            if inbox:
                inbox_records.already_handled(store.db, [e.id for _, e in accepted], session)
                inbox_records.record(store.db, session, [e for _, e in accepted])
            before_commit = []
            for subscription, event in accepted:
                subscription.handler(event, HandlerContext(store.db, session, after_commit, before_commit))
            for hook in before_commit:
                hook()
        store.transaction(work)
        for hook in after_commit:
            hook()
        return accepted[-1][1]
    return handle


def fuzz_every_route(app, openapi_path: str, headers: dict, examples_per_route: int = 30,
                     min_routes: int = 10) -> list[str]:
    """Schemathesis cases generated from an app's own OpenAPI document, sent in-process with
    ``headers``; returns a description of every route that answered 5xx (empty: none).
    ``min_routes``: fewer operations in the document means it was not read as expected."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    api = schemathesis.openapi.from_wsgi(openapi_path, app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= min_routes, f"only {len(operations)} routes in {openapi_path}"
    failures = []
    for operation in operations:
        @settings(max_examples=examples_per_route, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])
        try:
            fuzz()
        except Exception as error:  # report every failing route, not only the first
            failures.append(f"{operation.label}: {error}")
    return failures


def signed_up_id(client, body: dict, **request) -> str:
    """Sign up through a members app's test client and return the new member's id. The answer
    is a 202 that is the same for every address (no id in it): the id is read from the app's
    store by the email."""
    from services.members.accounts.schemas import normalise_email
    response = client.post("/api/v1/members", json=body, **request)
    assert response.status_code == 202, response.get_data(as_text=True)
    db = client.application.extensions["alumnet"].store.db
    member = db.members.find_one({"email": normalise_email(body["email"])}, {"_id": 1})
    assert member is not None, f"no member signed up as {body['email']}"
    return member["_id"]


def confirm_address(client, member_id: str, **body):
    """Follow the member's welcome-email link through a members app's test client: the token
    is read from the ``members.member.registered`` event, where it travels encrypted."""
    from services.members.accounts import rules as accounts
    service = client.application.extensions["alumnet"]
    [event] = [e for e in outbox_events(service.store.db, "members.member.registered")
               if e["data"]["member_id"] == member_id]
    token = accounts.decrypt_token(service.config.token_encryption_key, event["data"]["encrypted_confirmation_token"])
    return client.post("/api/v1/members/auth/confirm-email", json={"token": token, **body})


def member_snapshot(member_id: str, as_of, **fields):
    """A ``members.member.snapshot`` of ``member_id`` as of ``as_of`` (a datetime): the members
    catalogue's example with ``fields`` over it, as ``alumnet members republish`` sends it."""
    from services.members.messages import CATALOG, MEMBER_SNAPSHOT
    return CATALOG.create(MEMBER_SNAPSHOT, member_id, {
        **CATALOG.examples[MEMBER_SNAPSHOT], "member_id": member_id, "as_of": as_of.isoformat(), **fields},
        "cli-republish-test")
