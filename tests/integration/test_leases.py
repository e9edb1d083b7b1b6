"""Leases over the wire: one holder at a time, takeover after expiry, concurrent claims, the
store's clock, epochs."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

from shared.leases import Lease
from shared.store import client_for


class Ticks:
    """The holders' monotonic clock, moved by the test instead of waited for."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store_time_passes(db, name: str) -> None:
    """The lease's time runs out by the store's clock (which the holders cannot move): as
    after its holder stopped renewing for longer than the TTL."""
    db.leases.update_one({"_id": name}, {"$set": {"expires_at": datetime(2000, 1, 1, tzinfo=timezone.utc)}})


def test_one_holder_at_a_time_and_takeover_after_expiry(local_store):
    db = client_for(local_store.url)[f"leases_{uuid.uuid4().hex[:8]}"]
    ticks = Ticks()
    first, second = (Lease(db, "relay", ttl_s=30, monotonic=ticks) for _ in range(2))
    assert first.acquire()
    assert not second.acquire()
    ticks.now += 11  # under two thirds of the lease left: the next acquire writes a renewal
    assert first.acquire(), "the holder renews"
    assert first.remaining_s() == 30
    assert not second.acquire()
    # The first holder dies (stops renewing): the second takes over once the lease expires.
    ticks.now += 30
    assert first.remaining_s() == 0, "the holder's own count ends with the lease"
    assert not second.acquire(), "not before the store says the lease expired"
    store_time_passes(db, "relay")
    assert second.acquire(), "takeover after expiry"
    assert not first.acquire()
    second.release()
    assert first.acquire()


def test_simultaneous_first_claims_have_one_winner(local_store):
    db = client_for(local_store.url)[f"leases_{uuid.uuid4().hex[:8]}"]
    leases = [Lease(db, "timer", ttl_s=30) for _ in range(8)]
    start = threading.Barrier(len(leases))
    results: list[bool] = []

    def claim(lease: Lease) -> None:
        start.wait()
        results.append(lease.acquire())

    threads = [threading.Thread(target=claim, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False] * 7 + [True]


def test_expiry_is_reckoned_by_the_stores_clock(local_store):
    db = client_for(local_store.url)[f"leases_{uuid.uuid4().hex[:8]}"]
    lease = Lease(db, "clock", ttl_s=30)
    before = db.command("hello", codec_options=db.codec_options)["localTime"]
    assert lease.acquire()
    after = db.command("hello", codec_options=db.codec_options)["localTime"]
    expires_at = db.leases.find_one({"_id": "clock"})["expires_at"]
    # Written with the store's $$NOW (the embedded store supports it in pipeline updates).
    assert before + timedelta(seconds=30) <= expires_at <= after + timedelta(seconds=30)
    # The holder's own count ends no later than the store's expiry.
    assert lease.remaining_s() <= (expires_at - before).total_seconds()


def test_every_new_holder_gets_a_higher_epoch_and_renewals_keep_it(local_store):
    db = client_for(local_store.url)[f"leases_{uuid.uuid4().hex[:8]}"]
    ticks = Ticks()
    first, second = (Lease(db, "relay", ttl_s=30, monotonic=ticks) for _ in range(2))
    assert first.acquire() and first.epoch == 1
    ticks.now += 11  # renewal due
    assert first.acquire() and first.epoch == 1, "a renewal is not a new holder"
    assert first.remaining_s() == 30, "renewed, not only counted as held"
    first.release()
    assert second.acquire() and second.epoch == 2
    second.release()
    assert first.acquire() and first.epoch == 3
