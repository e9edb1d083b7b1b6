"""All MongoDB access of the notifications service (but the dashboard's counts: ``stats_store``).

Collections:

- ``contacts``: the read model of members built from members events (address, number,
  language, consents, status and the profile fields audiences filter on);
- ``segments``: saved member segments (from members events), for announcement audiences;
- ``preferences``: what each member chose (channel per category, quiet hours, digest);
- ``deliveries``: one per (source, recipient, channel) - the key of at-most-once sending;
- ``fanouts``: announcements and event announcements being spread over their audience;
- ``surveys`` and ``survey_completions``: opened surveys and who completed them, for the
  invitations and the one reminder (``surveys_store``);
- ``cause_volunteers``: the newest state of each cause volunteer row, to tell the ones still
  waiting when a cause closes (``causes``).

A delivery may carry ``asker`` (the finder question / ambassador contact whose asker's data it
holds: ``ambassadors.forget_asker`` scrubs it) and ``mentions`` (members whose data it holds
besides its recipient); a fan-out may carry ``mentions`` too. A mentioned member's erasure
skips what waits of them and scrubs their data from the rest (``forget_member``).

A delivery's life: ``queued`` in a batch (or ``held`` for the member's daily digest, or
``skipped`` with a reason) -> ``sending`` just before the provider call, by the one worker that
took its batch -> ``sent`` / ``failed``, or back to ``queued`` in a new batch with a later
``due_at`` after a temporary failure. Batches (``delivery_batches``) are the claims: a worker
takes one, and a dead worker's batch is ready again after the claim timeout (its deliveries
were never marked, so nothing is written per delivery to claim it). A live worker renews its
claim while it works, and writes outcomes only while it still holds the claim (the check and
the renewal are one write of the batch, inside the recording transaction), so a worker that
lost its batch anyway records and announces nothing; recovery takes a stale batch over by a
conditional update before touching its deliveries, so a worker that renewed meanwhile keeps
it. A dead worker leaves at most the ``sending`` rows it had not recorded: ``unknown`` (maybe
sent, never sent again), or queued again where the provider recognises a repeat.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared import memberview
from shared.bus import outbox
from shared.bus.envelope import Envelope
from shared.store import Index, ServiceStore, asc

QUEUED, SENDING, SENT, FAILED, UNKNOWN = "queued", "sending", "sent", "failed", "unknown"
SKIPPED = "skipped"      # never sent on purpose; ``reason`` says why
HELD = "held"            # waiting for the member's daily digest
DIGESTED = "digested"    # went out inside a digest (``digest_id``)
FINAL = (SENT, FAILED, UNKNOWN, SKIPPED, DIGESTED)
RECIPIENT_ERASED = "recipient erased"
REDACTED_ERROR = "(error text removed: the recipient was erased)"
# Member ids the members service has erased: the read model must never hold them again, even
# when an older event about them arrives late (a retry, a replay from the dead-letter queue).
ERASED = "erased_members"
# Documents written only so that two transactions conflict: one that new fan-outs and erasures
# both write (``touch_fence``), one per member that the member's erasure and every handler
# writing about the member write (``holding``).
FENCE = "fences"
FANOUT_FENCE = "fanouts-and-erasures"
CONTACTS, SEGMENTS, PREFERENCES, DELIVERIES, FANOUTS = "contacts", "segments", "preferences", "deliveries", "fanouts"
# Written and read by ``surveys_store`` only (their indexes are declared here with the rest).
SURVEYS, COMPLETIONS = "surveys", "survey_completions"
# Written and read by ``causes`` only: each volunteer row's newest state (who still waits).
CAUSE_VOLUNTEERS = "cause_volunteers"
# The dispatcher's work list: one small document per batch of queued deliveries due together,
# so taking work never scans the (possibly huge) set of queued deliveries.
BATCHES, BATCH_SIZE, READY, TAKEN = "delivery_batches", 50, "ready", "taken"
PROGRESS_TTL, PROGRESS_CACHE_FROM = timedelta(seconds=3), 1000
# Priorities: what a member is waiting for (a reset link, a ticket, an event cancelled today)
# goes before a bulk announcement queued earlier.
URGENT, BULK = 0, 1


def delivery_id(source_id: str, recipient: str, channel: str) -> str:
    """One delivery per (source event, recipient, channel): the key of at-most-once sending."""
    return f"{source_id}:{recipient}:{channel}"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- contacts

def upsert_contact(db: Database, session: ClientSession | None, member_id: str, fields: dict,
                   at: datetime) -> None:
    """Set contact fields as they were at ``at`` (the producer's time of the change): a field
    keeps a newer value it already has, so a sign-up or change retried out of order never
    undoes a later change (an old address must never come back)."""
    memberview.merge_member(db[CONTACTS], session, member_id, fields, at)


def is_erased(db: Database, session: ClientSession | None, member_id: str) -> bool:
    return db[ERASED].find_one({"_id": member_id}, {"_id": 1}, session=session) is not None


def erased_among(db: Database, session: ClientSession | None, member_ids: Iterable[str]) -> set[str]:
    """Which of these members are erased (one read)."""
    return {e["_id"] for e in db[ERASED].find({"_id": {"$in": list(member_ids)}}, {"_id": 1}, session=session)}


def apply_consent(db: Database, session: ClientSession, member_id: str, channel: str, category: str,
                  state: dict, *, only_if_absent: bool = False) -> bool:
    """Set ``contacts.consents.<channel>.<category>`` to ``state`` (granted, source, at,
    expires_at) unless the contact already holds a newer decision (events may arrive out of
    order). Applying the same decision twice changes nothing. Returns whether it was set."""
    return bool(apply_consents(db, session, member_id, {(channel, category): state}, only_if_absent=only_if_absent))


def apply_consents(db: Database, session: ClientSession, member_id: str, decisions: dict[tuple[str, str], dict],
                   *, only_if_absent: bool = False) -> int:
    """``apply_consent`` of several (channel, category) decisions at once (a sign-up's, a
    snapshot's): one read of the contact's consents and one write of those that apply.
    Returns how many were set."""
    contact = db[CONTACTS].find_one({"_id": member_id}, {"consents": 1}, session=session) or {}
    held_all = contact.get("consents") or {}
    changes = {}
    for (channel, category), state in decisions.items():
        held = (held_all.get(channel) or {}).get(category)
        if held is None or not (only_if_absent or _ms(held.get("at")) > _ms(state["at"])):
            changes[f"consents.{channel}.{category}"] = state
    if changes:
        db[CONTACTS].update_one({"_id": member_id}, {"$set": {**changes, "updated_at": now_utc()}},
                                upsert=True, session=session)
    return len(changes)


def _ms(moment: datetime | None) -> datetime:
    """Stored times keep milliseconds; compare event times at the same precision."""
    if moment is None:
        return datetime.min.replace(tzinfo=timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def forget_member(db: Database, session: ClientSession, member_id: str, erased_at: datetime) -> None:
    """Erasure: remember the id as erased, delete the contact and preferences, never send what
    is still waiting for the member (``skipped``), and anonymise every delivery of the member:
    the address, the template data and any error text (SMTP errors quote the address) go; ids,
    template, channel, status and times stay for the log. Safe to run twice."""
    now = now_utc()
    db[ERASED].update_one({"_id": member_id}, {"$setOnInsert": {"erased_at": erased_at, "recorded_at": now}},
                          upsert=True, session=session)
    db[CONTACTS].delete_one({"_id": member_id}, session=session)
    db[PREFERENCES].delete_one({"_id": member_id}, session=session)
    db[DELIVERIES].update_many(
        {"recipient": member_id, "status": {"$in": [QUEUED, HELD]}},
        {"$set": {"status": SKIPPED, f"{SKIPPED}_at": now, "reason": RECIPIENT_ERASED,
                  "last_error": RECIPIENT_ERASED}},
        session=session)
    db[DELIVERIES].update_many(
        {"recipient": member_id, "last_error": {"$nin": [None, RECIPIENT_ERASED, REDACTED_ERROR]}},
        {"$set": {"last_error": REDACTED_ERROR}}, session=session)
    db[DELIVERIES].update_many(
        {"recipient": member_id, "anonymised_at": {"$exists": False}},
        {"$unset": {"address": "", "context": ""}, "$set": {"anonymised_at": now}}, session=session)
    # A fan-out page reads its contacts before its transaction and queues them in it: were
    # this erasure to commit in between, neither would see the other's writes (the page's
    # deliveries are new documents) and the page would store the member's address after all.
    # Writing every spreading fan-out makes the two conflict, so the store orders them: the
    # page retried sees the erasure (``FanoutSpreader._queue`` leaves erased members out), or
    # the erasure retried sees the page's deliveries.
    db[FANOUTS].update_many({"status": "spreading"}, {"$inc": {"erasures_seen": 1}}, session=session)
    # The fan-outs' fence (a fan-out created since this erasure's snapshot) and the member's
    # (an event about the member handled meanwhile by another worker: ``holding``).
    _touch_fences(db, session, [FANOUT_FENCE, member_fence(member_id)])
    forget_mentions(db, session, member_id, now)


def forget_mentions(db: Database, session: ClientSession | None, member_id: str, now: datetime) -> None:
    """The messages to others that carry the member's data (an award's announcement naming
    the winner, an ambassador's reply signed with their name): a fan-out stops and forgets its
    data, what still waits is never sent, and the context of every such delivery goes."""
    spreads = [f["_id"] for f in db[FANOUTS].find({"mentions": member_id}, {"_id": 1}, session=session)]
    for fanout_id in spreads:
        cancel_fanout(db, session, fanout_id, "mentioned member erased", reason=RECIPIENT_ERASED)
    db[FANOUTS].update_many({"_id": {"$in": spreads}}, {"$unset": {"data": ""}}, session=session)
    mentioned = {"$or": [{"mentions": member_id}, {"fanout_id": {"$in": spreads}}]}
    db[DELIVERIES].update_many({**mentioned, "status": {"$in": [QUEUED, HELD]}},
                               {"$set": {"status": SKIPPED, f"{SKIPPED}_at": now, "reason": RECIPIENT_ERASED}},
                               session=session)
    db[DELIVERIES].update_many({**mentioned, "context": {"$exists": True}}, {"$unset": {"context": ""}},
                               session=session)


# --------------------------------------------------------------------------- deliveries

def new_delivery(*, source_id: str, recipient: str, channel: str, template: str, language: str,
                 address: str | None, context: dict, correlation_id: str | None, category: str,
                 marketing: bool, status: str = QUEUED, due_at: datetime | None = None,
                 priority: int = URGENT, reason: str | None = None, fanout_id: str | None = None) -> dict:
    """The document of a delivery not yet stored (see ``queue``)."""
    now = now_utc()
    document = {
        "_id": delivery_id(source_id, recipient, channel), "event_id": source_id, "recipient": recipient,
        "channel": channel, "template": template, "language": language, "address": address,
        "context": context, "status": status, "category": category, "marketing": marketing,
        "priority": priority, "due_at": due_at or now, "correlation_id": correlation_id, "queued_at": now,
        "attempts": 0,
    }
    if reason:
        document["reason"] = reason
        document[f"{status}_at"] = now
    if fanout_id:
        document["fanout_id"] = fanout_id
    return document


def queue(db: Database, session: ClientSession | None, deliveries: Iterable[dict]) -> int:
    """Store deliveries that do not exist yet (their ids make queueing idempotent: a
    redelivered event or a fan-out resumed after a crash adds nothing twice), and put the new
    queued ones in batches for the dispatcher. Returns how many were new."""
    deliveries = list(deliveries)
    if not deliveries:
        return 0
    batches = _assign_batches(d for d in deliveries if d["status"] == QUEUED)
    result = db[DELIVERIES].bulk_write([UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True)
                                        for d in deliveries], ordered=False, session=session)
    new = {deliveries[index]["batch"] for index in result.upserted_ids if "batch" in deliveries[index]}
    open_batches(db, session, [b for b in batches if b["_id"] in new])
    return result.upserted_count


def _assign_batches(deliveries: Iterable[dict]) -> list[dict]:
    """Group queued deliveries due together into batches of at most ``BATCH_SIZE``; set each
    delivery's ``batch``; return the batch documents."""
    batches: list[dict] = []
    current: dict[tuple, dict] = {}
    for delivery in deliveries:
        # Due within the same second: one batch, due when its last member is.
        key = (delivery["priority"], delivery["due_at"].replace(microsecond=0))
        batch = current.get(key)
        if batch is None or batch["size"] >= BATCH_SIZE:
            batch = {"_id": uuid.uuid4().hex, "priority": delivery["priority"], "due_at": delivery["due_at"],
                     "status": READY, "size": 0}
            current[key] = batch
            batches.append(batch)
        batch["size"] += 1
        batch["due_at"] = max(batch["due_at"], delivery["due_at"])
        delivery["batch"] = batch["_id"]
    return batches


def _held_by(batch: str, worker_id: str) -> dict:
    """The batch, if this worker still holds its claim."""
    return {"_id": batch, "status": TAKEN, "taken_by": worker_id}


def open_batches(db: Database, session: ClientSession | None, batches: list[dict]) -> None:
    if batches:
        db[BATCHES].insert_many(batches, session=session)


def create_fanout(db: Database, session: ClientSession | None, fanout: dict) -> bool:
    """Store a fan-out once (its id is the source's): returns whether it is new. A new one
    writes the fence an erasure writes too (``touch_fence``)."""
    result = db[FANOUTS].update_one({"_id": fanout["_id"]}, {"$setOnInsert": fanout}, upsert=True, session=session)
    if result.upserted_id is None:
        return False
    touch_fence(db, session)
    return True


def touch_fence(db: Database, session: ClientSession | None) -> None:
    """Write the one document that every new fan-out and every erasure write. An erasure
    writes the fan-outs spreading in its snapshot; one created after that snapshot would be
    spread without the erasure ever seeing it. Both writing this document makes them
    conflict, so the erasure retried sees the new fan-out (and then its pages)."""
    _touch_fences(db, session, [FANOUT_FENCE])


def member_fence(member_id: str) -> str:
    """The fence document of one member: written by the erasure and by every handler that
    writes about the member (``holding``)."""
    return f"member:{member_id}"


def holding(db: Database, session: ClientSession, member_ids: Iterable[str]) -> set[str]:
    """Which of ``member_ids`` a handler may write about in this transaction: those not erased,
    each held against an erasure handled meanwhile by another worker. Reading the erased list
    alone is not enough under snapshot isolation: an erasure committed after this
    transaction's snapshot wrote nothing this one writes (a delivery, a contact first seen, a
    record of the member are new documents), so both would commit and the member's address
    or name would outlive the erasure. Both write the member's fence document, so the store
    orders them: the later conflicts, is retried and sees the other (the handler, the erasure;
    the erasure, what the handler stored). Two commands: the erased among them, then the
    fences (in that order: a test commits an erasure between the two)."""
    ids = sorted(set(member_ids))
    if not ids:
        return set()
    erased = erased_among(db, session, ids)
    _touch_fences(db, session, [member_fence(m) for m in ids])
    return set(ids) - erased


def holds(db: Database, session: ClientSession, member_id: str) -> bool:
    """``holding`` of one member: whether the handler may write about them."""
    return bool(holding(db, session, [member_id]))


def _touch_fences(db: Database, session: ClientSession | None, fence_ids: list[str]) -> None:
    db[FENCE].bulk_write([UpdateOne({"_id": f}, {"$inc": {"writes": 1}}, upsert=True) for f in fence_ids],
                         session=session)


def cancel_fanout(db: Database, session: ClientSession | None, fanout_id: str, by: str,
                  reason: str = "cancelled") -> None:
    """Stop a fan-out (nothing more is queued) and skip what of it still waits."""
    now = now_utc()
    db[FANOUTS].update_one({"_id": fanout_id, "status": {"$in": ["spreading", "spread"]}},
                           {"$set": {"status": "cancelled", "cancelled_at": now, "cancelled_by": by}}, session=session)
    db[DELIVERIES].update_many(
        {"fanout_id": fanout_id, "status": {"$in": [QUEUED, HELD]}},
        {"$set": {"status": SKIPPED, f"{SKIPPED}_at": now, "reason": reason}}, session=session)
    db[FANOUTS].update_one({"_id": fanout_id}, {"$unset": {"progress": "", "progress_at": ""}}, session=session)


def queue_delivery(db: Database, session: ClientSession, *, event_id: str, recipient: str,
                   channel: str, template: str, language: str, address: str, context: dict,
                   correlation_id: str, category: str = "account") -> None:
    """Queue one transactional email now (welcome, password reset)."""
    queue(db, session, [new_delivery(
        source_id=event_id, recipient=recipient, channel=channel, template=template, language=language,
        address=address, context=context, correlation_id=correlation_id, category=category, marketing=False)])


def _fanout_due(now: datetime) -> dict:
    """A fan-out whose ``not_before`` (if any: a survey's opening) has come by ``now``."""
    return {"$or": [{"not_before": None}, {"not_before": {"$lte": now}}]}


class NotificationsStore(ServiceStore):
    indexes = [
        Index(DELIVERIES, asc("batch", "status"), name="by_batch", options={"sparse": True}),
        Index(BATCHES, asc("status", "priority", "due_at"), name="batches_by_status"),
        # Newest first, then by id: many deliveries share a queued_at (a fan-out page), and pages
        # of a sort with ties are not stable.
        Index(DELIVERIES, [("recipient", ASCENDING), ("queued_at", DESCENDING), ("_id", DESCENDING)],
              name="by_recipient_time"),
        Index(DELIVERIES, asc("fanout_id", "status"), name="by_fanout", options={"sparse": True}),
        Index(DELIVERIES, [("queued_at", DESCENDING), ("_id", DESCENDING)], name="by_time_id"),
        Index(CONTACTS, asc("status"), name="contacts_by_status"),
        Index(FANOUTS, asc("status", "created_at"), name="fanouts_by_status"),
        Index(SURVEYS, asc("status", "reminder_due_at"), name="surveys_by_reminder"),
        Index(COMPLETIONS, asc("member_id"), name="completions_by_member"),
        Index(CAUSE_VOLUNTEERS, asc("cause_id", "waiting"), name="cause_volunteers_waiting"),
        Index(CAUSE_VOLUNTEERS, asc("member_id"), name="cause_volunteers_by_member"),
        # Sparse: only the few deliveries that carry an asker's or another member's data.
        Index(DELIVERIES, asc("asker.question_id"), name="by_asker_question", options={"sparse": True}),
        Index(DELIVERIES, asc("asker.contact_id"), name="by_asker_contact", options={"sparse": True}),
        Index(DELIVERIES, asc("mentions"), name="by_mention", options={"sparse": True}),
    ]

    # ------------------------------------------------------------------ sending

    def claim_batch(self, worker_id: str, now: datetime | None = None) -> list[dict]:
        """Take one due batch of deliveries, urgent ones first, for this worker alone: one
        find-and-modify of the batch (of two workers asking at once, one gets it) and one read
        of its deliveries, whatever the number of deliveries queued."""
        now = now or now_utc()
        while True:
            taken = self.db[BATCHES].find_one_and_update(
                {"status": READY, "due_at": {"$lte": now}},
                {"$set": {"status": TAKEN, "taken_by": worker_id, "taken_at": now}},
                sort=[("priority", ASCENDING), ("due_at", ASCENDING)], projection={"_id": 1})
            if taken is None:
                return []
            waiting = list(self.db[DELIVERIES].find({"batch": taken["_id"], "status": QUEUED}))
            if waiting:
                return sorted(waiting, key=lambda d: (d["priority"], d["due_at"], d["queued_at"]))
            # All cancelled, skipped or sent meanwhile: gone, and the next one.
            self.db[BATCHES].delete_one(_held_by(taken["_id"], worker_id))

    def renew_claim(self, batch: str, worker_id: str) -> bool:
        """Keep a batch this worker is still working on; False if it lost it (it was slower
        than the claim timeout and another worker recovered the batch)."""
        return self.db[BATCHES].update_one(_held_by(batch, worker_id),
                                           {"$set": {"taken_at": now_utc()}}).matched_count == 1

    def finish_batch(self, batch: str, worker_id: str) -> None:
        """The dispatcher is done with a batch it holds: gone when nothing of it waits; ready
        again when some of it is still queued (the worker stopped); left taken when some of
        it is still ``sending`` (its outcome could not be recorded), for the stale-claim
        recovery. A batch the worker lost is no longer its to release."""
        left = {d["status"] for d in self.db[DELIVERIES].find(
            {"batch": batch, "status": {"$in": [QUEUED, SENDING]}}, {"status": 1})}
        if SENDING in left:
            return
        if QUEUED in left:
            self.db[BATCHES].update_one(_held_by(batch, worker_id), {"$set": {"status": READY}})
        else:
            self.db[BATCHES].delete_one(_held_by(batch, worker_id))

    def release_batch(self, batch: str, worker_id: str) -> None:
        """The batch this worker holds is done, every delivery of it recorded: gone (after
        the recording's transaction, not in it: a worker killed in between leaves it to the
        stale-claim recovery, which finds nothing of it queued)."""
        self.db[BATCHES].delete_one(_held_by(batch, worker_id))

    def begin_sending(self, delivery: dict) -> bool:
        """``begin_sending_many`` of one delivery: whether it became ``sending``."""
        return delivery["_id"] in self.begin_sending_many([delivery])

    def begin_sending_many(self, deliveries: Sequence[dict]) -> set[str]:
        """The last step before the provider calls (several senders' at once): only a delivery
        still queued in the batch this worker took (not cancelled or erased meanwhile, not
        taken by a worker that took the batch over) becomes ``sending``. From here a crash
        leaves it ``unknown``, never sent twice. One write; when some did not change, one read
        of which did (by the mark this call wrote). Returns the ids that became ``sending``."""
        if not deliveries:
            return set()
        ids, mark = [d["_id"] for d in deliveries], uuid.uuid4().hex
        change = {"$set": {"status": SENDING, "sending_at": now_utc(), "mark": mark}, "$inc": {"attempts": 1}}
        # One command of single-document updates, not one update_many: outside a transaction
        # the embedded store (SecantusDB 0.7) runs a multi-document update holding its
        # collection lock while it retries a write conflict, so an erasure or a handler's
        # transaction writing one of these deliveries could never finish, and the whole store
        # stalled behind it (tests/unit/test_notifications_sending_marks.py pins this).
        changed = self.db[DELIVERIES].bulk_write(
            [UpdateOne({"_id": d["_id"], "batch": d["batch"], "status": QUEUED}, change) for d in deliveries],
            ordered=False).modified_count
        if changed == len(ids):
            return set(ids)
        return {d["_id"] for d in self.db[DELIVERIES].find({"_id": {"$in": ids}, "mark": mark}, {"_id": 1})}

    def record(self, batch: str, worker_id: str,
               outcomes: list[tuple[str, dict, Sequence[Envelope]]]) -> set[str] | None:
        """The outcomes of sends from one batch, ``(delivery id, change, events)``, and their
        events, in one transaction: a delivery is never recorded sent without its
        ``notifications.delivery.sent`` being published, and an event is published only for
        an outcome recorded. Written only while this worker still holds the batch (which
        renews the claim) and only over deliveries still ``sending`` in it. A delivery queued
        again (a temporary failure) goes in a new batch due at its retry time. A few commands whatever the number of outcomes (the batch's renewal, one bulk write
        of the deliveries, one insert of the events, the commit). Returns the ids recorded,
        or None when the batch was lost (nothing written)."""
        if not outcomes:
            return set()
        retries = [{"_id": _id, "status": QUEUED, "priority": change["$set"].get("priority", BULK),
                    "due_at": change["$set"]["due_at"]} for _id, change, _ in outcomes
                   if change["$set"]["status"] == QUEUED]
        batches = _assign_batches(retries)
        batch_of = {r["_id"]: r["batch"] for r in retries}
        mark = uuid.uuid4().hex  # which of the outcomes this transaction wrote, if not all

        def write(session: ClientSession) -> set[str] | None:
            if not self.db[BATCHES].update_one(_held_by(batch, worker_id), {"$set": {"taken_at": now_utc()}},
                                               session=session).matched_count:
                return None
            matched = self.db[DELIVERIES].bulk_write([UpdateOne(
                {"_id": _id, "batch": batch, "status": SENDING},
                {**change, "$set": {**change["$set"], "mark": mark,
                                    **({"batch": batch_of[_id]} if _id in batch_of else {})}})
                for _id, change, _ in outcomes], ordered=False, session=session).matched_count
            recorded = {_id for _id, _, _ in outcomes} if matched == len(outcomes) else {
                d["_id"] for d in self.db[DELIVERIES].find({"_id": {"$in": [_id for _id, _, _ in outcomes]},
                                                            "mark": mark}, {"_id": 1}, session=session)}
            opened = {batch_of[_id] for _id in recorded if _id in batch_of}
            open_batches(self.db, session, [b for b in batches if b["_id"] in opened])
            outbox.add(self.db, session, *(event for _id, _, events in outcomes if _id in recorded for event in events))
            return recorded

        return self.transaction(write)

    def requeue_stale(self, claim_timeout: timedelta, idempotent_channels: tuple[str, ...] = ()) -> tuple[int, int]:
        """Recover what a dead worker left: its batches are ready again (their queued
        deliveries were never attempted); ``sending`` rows on a channel whose provider
        recognises a repeat (the delivery id is its idempotency key) are queued again in their
        batch; other ``sending`` rows become ``unknown`` (the message may have left: at most
        once). All of it is one transaction (see below): a recovery that dies midway changes
        nothing. Returns (requeued, unknown)."""
        cutoff = now_utc() - claim_timeout
        stale_query = {"status": TAKEN, "taken_at": {"$lt": cutoff}}
        # Found through the batches, so no index on the deliveries' status is needed (on the
        # embedded store every index of a delivery is rewritten at each of its updates). The
        # cheap look comes first: as a rule there is nothing to recover.
        if self.db[BATCHES].find_one(stale_query, {"_id": 1}) is None:
            return 0, 0

        # All in one transaction. A worker killed in the middle of its own transaction leaves
        # it open in the store until the store reaps it (60 s idle); a write outside a
        # transaction to a document that one holds waits inside the embedded store for as long
        # (it stalled a new worker's recovery for minutes), where in a transaction it is a
        # write conflict at once, retried, and the next pass recovers. A worker that renewed
        # its claim meanwhile conflicts the same way and keeps its batch; of two recovering
        # copies one conflicts and then finds nothing stale.
        def recover(session: ClientSession) -> tuple[int, int]:
            stale = [b["_id"] for b in self.db[BATCHES].find(stale_query, {"_id": 1}, session=session)]
            if not stale:
                return 0, 0
            self.db[BATCHES].update_many({"_id": {"$in": stale}, **stale_query}, {"$set": {"status": READY}},
                                         session=session)
            in_flight = {"batch": {"$in": stale}, "status": SENDING}
            requeued = self.db[DELIVERIES].update_many(
                {**in_flight, "channel": {"$in": list(idempotent_channels)}}, {"$set": {"status": QUEUED}},
                session=session).modified_count
            unknown = self.db[DELIVERIES].update_many(
                {**in_flight, "channel": {"$nin": list(idempotent_channels)}},
                {"$set": {"status": UNKNOWN, f"{UNKNOWN}_at": now_utc(),
                          "last_error": "the worker stopped while sending; not sent again (at most once)"}},
                session=session).modified_count
            return requeued, unknown

        return self.transaction(recover)

    # ------------------------------------------------------------------ the log

    def deliveries(self, *, recipient: str | None = None, status: str | None = None, channel: str | None = None,
                   template: str | None = None, event_id: str | None = None, fanout_id: str | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   page: int = 1, page_size: int = 50) -> tuple[list[dict], int]:
        query: dict = {k: v for k, v in (("recipient", recipient), ("status", status), ("channel", channel),
                                         ("template", template), ("event_id", event_id),
                                         ("fanout_id", fanout_id)) if v}
        if since or until:
            query["queued_at"] = {**({"$gte": since} if since else {}), **({"$lt": until} if until else {})}
        total = self.db[DELIVERIES].count_documents(query)
        cursor = self.db[DELIVERIES].find(query).sort([("queued_at", DESCENDING), ("_id", DESCENDING)]) \
            .skip((page - 1) * page_size).limit(page_size)
        return list(cursor), total

    def delivery(self, delivery_id_: str) -> dict | None:
        return self.db[DELIVERIES].find_one({"_id": delivery_id_})

    def contact(self, member_id: str) -> dict | None:
        return self.db[CONTACTS].find_one({"_id": member_id})

    # ------------------------------------------------------------------ preferences

    def preferences(self, member_id: str) -> dict | None:
        return self.db[PREFERENCES].find_one({"_id": member_id})

    def preferences_of(self, ids: list[str], session: ClientSession | None = None) -> dict[str, dict]:
        return {p["_id"]: p for p in self.db[PREFERENCES].find({"_id": {"$in": ids}}, session=session)}

    def save_preferences(self, member_id: str, preferences: dict) -> dict | None:
        """Store the member's preferences and return them; ``None`` for an erased member (held
        in the transaction: an erasure handled meanwhile cannot leave them behind)."""
        def work(session: ClientSession) -> bool:
            if not holds(self.db, session, member_id):
                return False
            self.db[PREFERENCES].replace_one({"_id": member_id}, {"_id": member_id, **preferences,
                                                                  "updated_at": now_utc()}, upsert=True, session=session)
            return True
        return self.preferences(member_id) if self.transaction(work) else None

    # ------------------------------------------------------------------ fan-outs

    def create_fanout(self, session: ClientSession | None, fanout: dict) -> bool:
        return create_fanout(self.db, session, fanout)

    def fanout(self, fanout_id: str) -> dict | None:
        return self.db[FANOUTS].find_one({"_id": fanout_id})

    def fanouts(self, kind: str, page: int, page_size: int) -> tuple[list[dict], int]:
        query = {"kind": kind}
        total = self.db[FANOUTS].count_documents(query)
        found = self.db[FANOUTS].find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip((page - 1) * page_size) \
            .limit(page_size)
        return list(found), total

    def claim_fanout(self, worker_id: str, lease: timedelta, now: datetime | None = None) -> dict | None:
        """One fan-out to spread whose ``not_before`` (if any: a survey's opening) has come by
        ``now``, for this worker alone until the lease ends (a crashed worker's fan-out is
        taken over after it; spreading is idempotent)."""
        return self._lease_fanout({"status": "spreading", "$and": [_fanout_due(now or now_utc())]}, "lease_until",
                                  "leased_by", worker_id, lease)

    def _lease_fanout(self, query: dict, until: str, holder: str, worker_id: str, lease: timedelta) -> dict | None:
        """One fan-out matching ``query`` whose lease (``until``) is free or over, leased to
        this worker by an atomic update (of two copies asking at once, one gets it)."""
        now = now_utc()
        for candidate in self.db[FANOUTS].find(query, {"_id": 1, until: 1}).limit(20):
            if candidate.get(until) and candidate[until] > now:
                continue
            taken = self.db[FANOUTS].find_one_and_update(
                {**query, "_id": candidate["_id"], "$or": [{until: None}, {until: {"$lte": now}}]},
                {"$set": {until: now + lease, holder: worker_id}})
            if taken is not None:
                return taken
        return None

    def fanout_waiting(self, now: datetime | None = None) -> bool:
        """Whether a fan-out waits for a spreader: spreading, due, its lease free or over (what
        ``claim_fanout`` would take). One indexed read, no write."""
        now = now or now_utc()
        return self.db[FANOUTS].find_one({
            "status": "spreading", "$and": [_fanout_due(now),
                                            {"$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}]}]},
            {"_id": 1}) is not None

    def extend_fanout(self, fanout_id: str, worker_id: str, lease: timedelta,
                      session: ClientSession | None = None) -> bool:
        """Keep the lease while spreading; False if the fan-out was cancelled or taken over."""
        return self.db[FANOUTS].update_one(
            {"_id": fanout_id, "status": "spreading", "leased_by": worker_id},
            {"$set": {"lease_until": now_utc() + lease}}, session=session).matched_count == 1

    def finish_fanout(self, fanout_id: str, worker_id: str, audience: int) -> None:
        """Spread: and to be checked for stranded deliveries (see ``reopen_stranded``)."""
        self.db[FANOUTS].update_one({"_id": fanout_id, "status": "spreading", "leased_by": worker_id},
                                    {"$set": {"status": "spread", "audience_size": audience,
                                              "spread_at": now_utc(), "lease_until": None,
                                              "batches_checked_at": None}})

    # The fan-outs spread and not yet checked for queued deliveries in no batch; fan-outs are
    # few (one per announcement or event), so this reads a small collection.
    UNCHECKED = {"status": "spread", "batches_checked_at": None}

    def claim_unchecked_fanout(self, worker_id: str, lease: timedelta) -> dict | None:
        """One spread fan-out to check for stranded deliveries, for this worker alone."""
        return self._lease_fanout(self.UNCHECKED, "check_until", "checked_by", worker_id, lease)

    def reopen_stranded(self, fanout_id: str) -> int:
        """Store again the batches that a fan-out's queued deliveries name but the store lacks
        (a page whose deliveries were written without their batches: a kill or a store error
        between the two writes, before a page was one transaction). Each is stored under its
        own id, as urgent and as late as its deliveries, so a dispatcher takes it. One pass
        over the fan-out's queued deliveries through the ``by_fanout`` index, grouped by the
        store; batches are looked up by id. Safe twice and in two copies at once (the id is
        the key). Returns how many batches were stored again."""
        groups = {group["_id"]: group for group in self.db[DELIVERIES].aggregate([
            {"$match": {"fanout_id": fanout_id, "status": QUEUED}},
            {"$group": {"_id": "$batch", "priority": {"$min": "$priority"}, "due_at": {"$max": "$due_at"},
                        "size": {"$sum": 1}}}]) if group["_id"]}
        ids = list(groups)
        missing = set(ids)
        for start in range(0, len(ids), 500):
            missing -= {b["_id"] for b in self.db[BATCHES].find({"_id": {"$in": ids[start:start + 500]}}, {"_id": 1})}
        reopened = 0
        for batch in missing:
            if self.db[DELIVERIES].find_one({"batch": batch, "status": QUEUED}, {"_id": 1}) is None:
                continue  # sent, and its batch released, since the pass
            group = groups[batch]
            try:
                reopened += self.db[BATCHES].update_one({"_id": batch}, {"$setOnInsert": {
                    "priority": group["priority"], "due_at": group["due_at"], "status": READY, "size": group["size"]}},
                    upsert=True).upserted_id is not None
            except DuplicateKeyError:
                pass  # another copy stored it first
        return reopened

    def finish_check(self, fanout_id: str, worker_id: str) -> None:
        self.db[FANOUTS].update_one({"_id": fanout_id, "checked_by": worker_id},
                                    {"$set": {"batches_checked_at": now_utc(), "check_until": None}})

    def cancel_fanout(self, fanout_id: str, by: str) -> dict | None:
        """Stop a fan-out: nothing more is queued, and what waits is skipped. Returns the
        fan-out, or None if unknown."""
        cancel_fanout(self.db, None, fanout_id, by)
        return self.fanout(fanout_id)

    def fanout_progress(self, fanout_id: str) -> dict[str, int]:
        """How many deliveries of a fan-out are in each state. A large fan-out is counted at
        most every few seconds (counting tens of thousands of deliveries is not free; the count
        is kept on the fan-out); a small one every time."""
        fanout = self.fanout(fanout_id) or {}
        cached = fanout.get("progress")
        if cached and fanout.get("progress_at") and now_utc() - fanout["progress_at"] < PROGRESS_TTL:
            return cached
        counts = {status: 0 for status in (QUEUED, SENDING, SENT, FAILED, SKIPPED, HELD, DIGESTED, UNKNOWN)}
        for row in self.db[DELIVERIES].aggregate([{"$match": {"fanout_id": fanout_id}},
                                                  {"$group": {"_id": "$status", "n": {"$sum": 1}}}]):
            counts[row["_id"]] = counts.get(row["_id"], 0) + row["n"]
        if sum(counts.values()) >= PROGRESS_CACHE_FROM:
            self.db[FANOUTS].update_one({"_id": fanout_id}, {"$set": {"progress": counts, "progress_at": now_utc()}})
        return counts

    def verified_contacts(self, batch_size: int) -> Iterator[dict]:
        """Every verified contact, streamed (bounded memory whatever the audience size)."""
        return self.db[CONTACTS].find({"status": "verified"}, batch_size=batch_size)

    def segment(self, segment_id: str | None) -> dict | None:
        return memberview.segment(self.db[SEGMENTS], segment_id)

    # ------------------------------------------------------------------ digests

    def due_digest_recipients(self, now: datetime, limit: int) -> list[str]:
        found = self.db[DELIVERIES].find({"status": HELD, "due_at": {"$lte": now}}, {"recipient": 1}).limit(limit)
        return list(dict.fromkeys(d["recipient"] for d in found))

