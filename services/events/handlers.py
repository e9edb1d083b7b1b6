"""What the events service does with the members events it consumes: a read model of
members (for audiences; rebuilt from ``members.member.snapshot`` when republished) and segments, forgetting erased members (registrations and
volunteering for causes anonymised, stored replies and parked messages about them removed), and
the access revocations its token check honours (``shared.revocations``).

Every handler is idempotent (the consumer's inbox deduplicates by event id besides) and
tolerates order: each field keeps the value of the newest change that set it (by the
producer's time), so a retried sign-up or approval never undoes a later change; an erased
member is remembered by id so that no late event brings them back.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marshmallow import fields

from services.events import calendar_store, readmodel_store, registrations_store
from services.events.causes import store as causes_store
from shared import memberview, revocations
from shared.bus.consumer import HandlerContext, Subscription
from shared.bus.envelope import Envelope
from shared.web import idempotency

# The member fields the read model keeps: what audiences and the member filter language read.
KEPT = memberview.KEPT


class MemberRegistered(memberview.KeptFields):
    member_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    graduation_year = fields.Integer(allow_none=True, load_default=None)
    faculty = fields.String(allow_none=True, load_default=None)
    status = fields.String(load_default="pending_verification")
    registered_at = fields.AwareDateTime(required=True)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _merge_member(ctx: HandlerContext, data: dict, at: str) -> None:
    """A sign-up's or a snapshot's member, merged at ``at`` (a newer change keeps its fields)."""
    readmodel_store.merge_member(ctx.db, ctx.session, data["member_id"], {
        **{k: data[k] for k in KEPT if k in data}, "status": data.get("status", "pending_verification")},
        _time(at))


def on_member_registered(event: Envelope, ctx: HandlerContext) -> None:
    _merge_member(ctx, event.data, event.data["registered_at"])


def on_member_snapshot(event: Envelope, ctx: HandlerContext) -> None:
    """A republished member (``alumnet members republish``): merged as a sign-up is, at the
    time of the member's last change the snapshot includes."""
    _merge_member(ctx, event.data, event.data["as_of"])


def on_member_updated(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    readmodel_store.merge_member(ctx.db, ctx.session, data["member_id"],
                                 {k: v for k, v in data["changed"].items() if k in KEPT}, _time(data["updated_at"]))


def on_member_verified(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    known = {k: data[k] for k in ("graduation_year", "faculty") if data.get(k) is not None}
    readmodel_store.merge_member(ctx.db, ctx.session, data["member_id"], {"status": "verified", **known},
                                 _time(data["verified_at"]))


def on_member_rejected(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    readmodel_store.merge_member(ctx.db, ctx.session, data["member_id"], {"status": "rejected"},
                                 _time(data["rejected_at"]))


def on_member_erased(event: Envelope, ctx: HandlerContext, forget_parked: Callable[[str], int] | None = None) -> None:
    """Forget the member, anonymise their registrations (freeing their seats) and their
    volunteering for causes (freeing their slots), delete their calendar feed and the stored replies about them, and remove the parked messages that
    mention them (``forget_parked``: a failure there retries the whole erasure)."""
    erased_at = _time(event.data["erased_at"])
    member_id = event.data["member_id"]
    readmodel_store.forget_member(ctx.db, ctx.session, member_id, erased_at)
    registrations_store.anonymise_member(ctx.db, ctx.session, member_id, erased_at)
    causes_store.anonymise_member(ctx.db, ctx.session, member_id, erased_at)
    ctx.db[calendar_store.FEEDS].delete_many({"member_id": member_id}, session=ctx.session)
    idempotency.purge_member(ctx.db, ctx.session, member_id)
    if forget_parked is not None:
        forget_parked(member_id)


def on_segment_saved(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    readmodel_store.save_segment(ctx.db, ctx.session, data["segment_id"], data["filter"], data["version"])


def on_segment_deleted(event: Envelope, ctx: HandlerContext) -> None:
    readmodel_store.delete_segment(ctx.db, ctx.session, event.data["segment_id"])


def subscriptions(forget_parked: Callable[[str], int] | None = None) -> list[Subscription]:
    """``forget_parked``: removes the service's parked messages mentioning a member
    (``DeadLetters.purge_mentioning``), on erasure."""
    return [
        Subscription("members.member.registered", MemberRegistered(), on_member_registered),
        Subscription(memberview.SNAPSHOT, memberview.MemberSnapshot(), on_member_snapshot),
        Subscription("members.member.updated", memberview.MemberUpdated(), on_member_updated),
        Subscription("members.member.verified", memberview.MemberVerified(), on_member_verified),
        Subscription("members.member.rejected", memberview.MemberRejected(), on_member_rejected),
        Subscription("members.member.erased", memberview.MemberErased(),
                     lambda event, ctx: on_member_erased(event, ctx, forget_parked)),
        Subscription("members.segment.saved", memberview.SegmentSaved(), on_segment_saved),
        Subscription("members.segment.deleted", memberview.SegmentDeleted(), on_segment_deleted),
        revocations.subscription(),
    ]
