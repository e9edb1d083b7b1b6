"""A notifications worker killed (SIGKILL) at random points while it sends a 250-recipient
announcement, restarted each time: every recipient gets the announcement once.

Notifications here is the test's own (api and workers, run as in production), apart from the
session's platform, which it leaves alone: its own vhost on the broker, its own store server
(which aborts a killed worker's open transaction after a few seconds, not a minute), its own
SMTP sink, and the short claim timeout and the rate limit this test needs from the start. The
members are made known to it the way production does it, by members events on the real
RabbitMQ (sign-up, verification, a segment); the announcement is posted to its api; the worker
sends through the SMTP sink, rate-limited so that the kills land in the middle of the sending.
A worker killed in the instant between handing a message to SMTP and recording it leaves that
delivery ``unknown`` (it is never sent again: at most once); the test accepts only as many of
those as there were kills, and requires them to have reached the sink at most once, and every
other recipient exactly once.

Every wait (the setup's included) draws on one budget, ``BUDGET_S``, that fits the test's
pytest timeout together with the teardown's own bounded waits.
"""
from __future__ import annotations

import os
import random
import signal
import time
import uuid
from collections import Counter

import pytest
import requests

from services.members.messages import CATALOG as MEMBERS
from services.members.messages import MEMBER_REGISTERED, SEGMENT_SAVED
from services.notifications.dispatcher import RECORD_EVERY
from services.notifications.worker import SENDERS
from shared.bus.outbox import PendingEvent
from shared.bus.publisher import AmqpPublisher
from tests.conftest import own_vhost
from tests.processes import Platform, platform_env, start_store_aborting_after
from tests.smtp_sink import SmtpSink
from tests.support import wait_until

RECIPIENTS = 250
KILLS = 3
# The store aborts a killed worker's open transaction after this long (its documents stay
# locked until then); each kill may cost it once.
TRANSACTION_LIFETIME_S = 10
CLAIM_TIMEOUT_S = 2  # a claim a killed worker left is taken over after this long
# This test's setup and body together, generous for two busy cores: it takes about a minute.
BUDGET_S = 200
# Around the budget: before it, the e2e layer's vhost if this is the layer's first test (two
# rabbitmqctl calls, tests/e2e/conftest.py); in it, a wait checks its deadline between polls,
# and a poll (one HTTP request) may end up to its 10 s timeout after it: 5 waits and 2 a kill;
# after it, the teardown: SIGTERM to the api and the live worker (30 s each at most, then
# SIGKILL), the store (30 s) and this test's vhost deleted (30 s at most).
LAYER_VHOST_S = 2 * 30
POLLS_S = (5 + 2 * KILLS) * 10
TEARDOWN_S = 2 * 30 + 30 + 30
pytestmark = pytest.mark.timeout(LAYER_VHOST_S + BUDGET_S + POLLS_S + TEARDOWN_S)


class Budget:
    """One deadline for every wait of the test: each takes what is left of it."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


def _publish(amqp_url: str, events) -> None:
    publisher = AmqpPublisher(amqp_url)
    try:
        for start in range(0, len(events), 200):
            window = [PendingEvent(e.id, e.id, e.type, e.subject, e.to_json()) for e in events[start:start + 200]]
            result = publisher.publish_batch(window)
            assert not result.failed and not result.error, (result.failed, result.error)
    finally:
        publisher.reset()


def announcement_progress_when_done(notifications_api: str, admin: dict, announcement_id: str) -> dict | None:
    """The announcement's progress once it has spread and nothing waits or is in flight."""
    announcement = requests.get(f"{notifications_api}/announcements/{announcement_id}", headers=admin,
                                timeout=10).json()
    progress = announcement["progress"]
    done = announcement["status"] == "spread" and progress["queued"] == progress["sending"] == 0
    return progress if done else None


def _members_events(run: str, family: str, segment_id: str, count: int = RECIPIENTS) -> list:
    events = []
    for n in range(count):
        member_id = f"{run}{n:024x}"
        events.append(MEMBERS.create(MEMBER_REGISTERED, member_id, {
            "member_id": member_id, "given_name": "Мария", "family_name": family,
            "email": f"crash{n}.{run}@example.bg", "phone": None, "preferred_language": "bg" if n % 3 else "en",
            "graduation_year": 2001, "faculty": "medicine", "programme": None,
            # Verified at registration (as the office's own sign-ups are): one welcome email
            # each before the announcement, not a welcome and a "verified" one.
            "consent": {"email": True, "sms": False}, "registered_at": "2026-11-28T10:00:00+00:00",
            "status": "verified"}, f"crash-{run}"))
    events.append(MEMBERS.create(SEGMENT_SAVED, segment_id, {
        "segment_id": segment_id, "name": f"crash {run}", "filter": {"q": family}, "version": 1,
        "saved_at": "2026-11-28T10:02:00+00:00"}, f"crash-{run}"))
    return events


@pytest.fixture
def crash_notifications(amqp_url, jwt_keys, tmp_path):
    """Notifications of this test's own (api ready, no worker yet), its vhost's URL, its SMTP
    sink and the test's budget, already drawn on by this setup."""
    budget = Budget(BUDGET_S)
    with own_vhost(amqp_url, "crash", timeout_s=30) as vhost, SmtpSink() as sink:
        store, store_url = start_store_aborting_after(TRANSACTION_LIFETIME_S, tmp_path / "store",
                                                      timeout_s=budget.left())
        env = platform_env(vhost.url, store_url, jwt_keys, EMAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1",
                           SMTP_PORT=str(sink.port), SMS_BACKEND="file", DEV_OUTBOX_DIR=str(tmp_path / "outbox"),
                           DELIVERY_CLAIM_TIMEOUT_S=str(CLAIM_TIMEOUT_S), EMAIL_RATE_PER_S="150")
        running = Platform(env, tmp_path)
        try:
            api = running.start_api("notifications")
            running.wait_ready(api, "notifications-api", timeout_s=budget.left())
            yield running, vhost.url, sink, budget
        finally:
            running.stop()
            store.terminate()
            store.wait(30)


def test_killing_the_worker_while_it_sends_loses_and_doubles_nobody(crash_notifications, issue_token):
    platform, amqp_url, sink, budget = crash_notifications
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:8]
    family = "Crash" + "".join(chr(ord("a") + int(c, 16)) for c in run)
    segment_id = uuid.uuid4().hex
    notifications_api = f"{platform.urls['notifications']}/api/v1/notifications"
    admin = {"Authorization": f"Bearer {issue_token('office-crash', 'admin')}"}
    subject = f"Crash test {run}"

    def received() -> Counter:
        return Counter(str(m["X-Alumnet-Delivery"]).strip() for m in sink.messages if m["Subject"] == subject)

    def start(generation: int) -> str:
        worker = f"notifications-worker-{generation}"
        url = platform.start_worker("notifications", worker)
        platform.wait_ready(url, worker, timeout_s=budget.left())
        return worker

    worker = start(0)  # ready: its queues are declared, so the members events have somewhere to go
    _publish(amqp_url, _members_events(run, family, segment_id))
    # Every member's welcome email: notifications knows all of them.
    wait_until(lambda: len(sink.messages) >= RECIPIENTS, timeout_s=budget.left(), interval_s=0.2,
               message="every welcome email (the members are known)")

    body = {"subject": {"bg": subject, "en": subject}, "body": {"bg": "Текст.", "en": "Text."},
            "audience": {"kind": "segment", "segment_id": segment_id}}

    def announce():  # 422 until the worker has consumed the segment, the last event published
        answer = requests.post(f"{notifications_api}/announcements", headers=admin, json=body, timeout=10)
        assert answer.status_code in (202, 422), answer.text
        return answer.json()["id"] if answer.status_code == 202 else None
    announcement_id = wait_until(announce, timeout_s=budget.left(), interval_s=0.2, message="the segment known")
    thresholds = sorted(rng.sample(range(20, RECIPIENTS - 60), KILLS))
    for generation, threshold in enumerate(thresholds, start=1):
        wait_until(lambda: sum(received().values()) >= threshold, timeout_s=budget.left(), interval_s=0.01,
                   message=f"{threshold} emails before kill {generation} (seed {seed})")
        os.killpg(platform.processes[worker].pid, signal.SIGKILL)
        platform.processes[worker].wait(10)  # SIGKILL: gone at once
        worker = start(generation)

    progress = wait_until(lambda: announcement_progress_when_done(notifications_api, admin, announcement_id),
                          timeout_s=budget.left(), interval_s=0.2, message=f"the announcement done (seed {seed})")

    copies = received()
    log = []
    page = 1
    while True:
        answer = requests.get(f"{notifications_api}/deliveries", headers=admin, timeout=10, params={
            "announcement_id": announcement_id, "per_page": 100, "page": page}).json()
        log += answer["items"]
        if page * 100 >= answer["total"]:
            break
        page += 1
    status = {d["id"]: d["status"] for d in log}
    unknown = {d for d, s in status.items() if s == "unknown"}
    assert len(status) == RECIPIENTS, f"seed {seed}"
    assert max(copies.values()) == 1, f"seed {seed}: doubled {[d for d, n in copies.items() if n > 1]}"
    assert set(status.values()) <= {"sent", "unknown"}, (Counter(status.values()), seed)
    assert {d for d, s in status.items() if s == "sent"} <= set(copies), f"seed {seed}: recorded sent, not received"
    # Only a message in an SMTP conversation at the instant of a kill can be missing: one per
    # sender of the worker's dispatcher at most.
    missing = set(status) - set(copies)
    assert missing <= unknown and len(missing) <= KILLS * SENDERS, f"seed {seed}: lost {missing}"
    # A kill leaves unrecorded what its senders sent since their last records: unknown, never resent.
    assert len(unknown) <= KILLS * SENDERS * (RECORD_EVERY + 1), (len(unknown), seed)
    assert progress["sent"] + progress["unknown"] == RECIPIENTS
    print(f"seed {seed}: {len(copies)} of {RECIPIENTS} received once, {len(missing)} in flight at a kill, "
          f"{len(unknown)} unknown")
