"""Leases over the wire: one holder at a time, takeover after expiry, concurrent claims."""
from __future__ import annotations

import threading
import uuid

from shared.leases import Lease
from shared.store import client_for
from tests.support import wait_until


def test_one_holder_at_a_time_and_takeover_after_expiry(local_store):
    db = client_for(local_store.url)[f"leases_{uuid.uuid4().hex[:8]}"]
    first, second = Lease(db, "relay", ttl_s=0.6), Lease(db, "relay", ttl_s=0.6)
    assert first.acquire()
    assert not second.acquire()
    assert first.acquire(), "the holder renews"
    # The first holder dies (stops renewing): the second takes over once the lease expires.
    wait_until(second.acquire, timeout_s=5, message="takeover after expiry")
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
