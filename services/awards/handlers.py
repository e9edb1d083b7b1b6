"""What the awards service does with the events it consumes: the engagement ledger's
activity events (``ledger/intake.py``: every type of the rules table), the erasure of a
member (``ledger.store.forget_member``), and the access revocations its api's token check
honours (``shared.revocations``).

Every handler is idempotent (the consumer's inbox deduplicates by event id, and the ledger
by ``<event id>:<member id>`` besides, so a replay after the inbox forgot an event credits
nothing twice) and tolerates order (capped buckets: ``ledger/rules.py``).
"""
from __future__ import annotations

from services.awards.ledger import intake
from services.awards.ledger import store as ledger_store
from shared import memberview, revocations
from shared.bus.consumer import HandlerContext, Subscription
from shared.bus.envelope import Envelope


def on_member_erased(event: Envelope, ctx: HandlerContext) -> None:
    """The member leaves the standings; their ledger rows stay as anonymous counts."""
    ledger_store.forget_member(ctx.db, ctx.session, event.data["member_id"])


def subscriptions() -> list[Subscription]:
    return [
        *intake.subscriptions(),
        Subscription("members.member.erased", memberview.MemberErased(), on_member_erased),
        revocations.subscription(),
    ]
