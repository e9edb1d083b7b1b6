"""What the awards service does with the events it consumes: the engagement ledger's activity
events (``ledger/intake.py``: every type of the rules table), a view of members (who is
verified, their roles and names: eligibility, judges, the Party of events; rebuilt from
``members.member.snapshot`` when republished), forgetting erased
members (their nominations, their statements, their scores' judge id, their place among
winners, their ledger rows), and the access revocations its api's token check honours
(``shared.revocations``).

Every handler is idempotent (the consumer's inbox deduplicates by event id besides) and
tolerates order: each field keeps the value of the newest change that set it (by the
producer's time, ``shared.memberview``), so a retried sign-up never undoes a later role change;
an erased member is remembered by id so that no late event brings them back. The ledger
deduplicates by ``<event id>:<member id>`` besides, so a replay after the inbox forgot an event
credits nothing twice, and its capped buckets make any order give the same standings.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marshmallow import fields

from services.awards import readmodel_store
from services.awards.cycles import store as cycles_store
from services.awards.ledger import intake
from shared import memberview, revocations
from shared.auth import ROLES
from shared.bus.consumer import HandlerContext, Subscription
from shared.bus.envelope import Envelope
from shared.web import idempotency

# The member fields the view keeps: the shared ones, and the language a notification speaks.
KEPT = (*memberview.KEPT, "preferred_language")


class MemberRegistered(memberview.KeptFields):
    member_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    preferred_language = fields.String(allow_none=True, load_default=None)
    status = fields.String(load_default="pending_verification")
    roles = fields.List(fields.String(), allow_none=True, load_default=None)
    registered_at = fields.AwareDateTime(required=True)


class MemberSnapshot(memberview.MemberSnapshot):
    preferred_language = fields.String(allow_none=True, load_default=None)
    roles = fields.List(fields.String(), required=True)


class MemberRolesChanged(memberview.Expectation):
    member_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    changed_at = fields.AwareDateTime(required=True)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _merge(ctx: HandlerContext, member_id: str, changes: dict, at: str) -> None:
    if not readmodel_store.is_erased(ctx.db, ctx.session, member_id):
        readmodel_store.merge_member(ctx.db, ctx.session, member_id, changes, _time(at))


def _roles(roles) -> list[str]:
    # Only roles tokens may carry: an unknown name from a newer producer grants nothing here.
    return sorted(r for r in roles if r in ROLES)


def _merge_member(ctx: HandlerContext, data: dict, at: str) -> None:
    """A sign-up's or a snapshot's member, merged at ``at`` (a newer change keeps its fields)."""
    _merge(ctx, data["member_id"], {
        **{k: data[k] for k in KEPT if k in data}, "status": data.get("status", "pending_verification"),
        "roles": _roles(data.get("roles") or readmodel_store.DEFAULT_ROLES)}, at)


def on_member_registered(event: Envelope, ctx: HandlerContext) -> None:
    _merge_member(ctx, event.data, event.data["registered_at"])


def on_member_snapshot(event: Envelope, ctx: HandlerContext) -> None:
    """A republished member (``alumnet members republish``): merged as a sign-up is, at the
    time of the member's last change the snapshot includes."""
    _merge_member(ctx, event.data, event.data["as_of"])


def on_member_updated(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    _merge(ctx, data["member_id"], {k: v for k, v in data["changed"].items() if k in KEPT}, data["updated_at"])


def on_member_verified(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    known = {k: data[k] for k in ("graduation_year", "faculty") if data.get(k) is not None}
    _merge(ctx, data["member_id"], {"status": "verified", **known}, data["verified_at"])


def on_member_rejected(event: Envelope, ctx: HandlerContext) -> None:
    _merge(ctx, event.data["member_id"], {"status": "rejected"}, event.data["rejected_at"])


def on_roles_changed(event: Envelope, ctx: HandlerContext) -> None:
    _merge(ctx, event.data["member_id"], {"roles": _roles(event.data["roles"])}, event.data["changed_at"])


def on_member_erased(event: Envelope, ctx: HandlerContext, forget_parked: Callable[[str], int] | None = None) -> None:
    """Forget the member everywhere the awards service holds them (``cycles_store.forget_member``
    says what becomes of nominations, scores and winners), their ledger rows, and the parked
    messages that mention them (``forget_parked``: a failure there retries the whole erasure)."""
    member_id = event.data["member_id"]
    readmodel_store.forget_member(ctx.db, ctx.session, member_id, _time(event.data["erased_at"]))
    cycles_store.forget_member(ctx.db, ctx.session, member_id)
    intake.forget(ctx, member_id)
    idempotency.purge_member(ctx.db, ctx.session, member_id)
    if forget_parked is not None:
        forget_parked(member_id)


def subscriptions(forget_parked: Callable[[str], int] | None = None) -> list[Subscription]:
    """``forget_parked``: removes the service's parked messages mentioning a member
    (``shared.bus.deadletters``), given by the worker."""
    return [
        *intake.subscriptions(),
        Subscription("members.member.registered", MemberRegistered(), on_member_registered),
        Subscription(memberview.SNAPSHOT, MemberSnapshot(), on_member_snapshot),
        Subscription("members.member.updated", memberview.MemberUpdated(), on_member_updated),
        Subscription("members.member.verified", memberview.MemberVerified(), on_member_verified),
        Subscription("members.member.rejected", memberview.MemberRejected(), on_member_rejected),
        Subscription("members.member.roles_changed", MemberRolesChanged(), on_roles_changed),
        Subscription("members.member.erased", memberview.MemberErased(),
                     lambda event, ctx: on_member_erased(event, ctx, forget_parked)),
        revocations.subscription(),
    ]
