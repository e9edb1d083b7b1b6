"""What notifications does with the events it consumes.

Each handler only stores: the contact read model and the deliveries to make. Sending happens
after commit, in the delivery dispatcher, so a redelivered event can never send twice.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from services.notifications import store as notification_store
from shared.bus.consumer import HandlerContext, Subscription
from shared.bus.envelope import Envelope


class _Expectation(Schema):
    """What this consumer needs of a producer's data; other fields are ignored."""

    class Meta:
        unknown = EXCLUDE


class MemberRegistered(_Expectation):
    member_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.Email(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    preferred_language = fields.String(required=True)
    consent = fields.Dict(required=True)


def on_member_registered(event: Envelope, ctx: HandlerContext, wake_dispatcher=None) -> None:
    data = event.data
    notification_store.upsert_contact(ctx.db, ctx.session, data["member_id"], {
        "given_name": data["given_name"],
        "family_name": data["family_name"],
        "email": data["email"],
        "phone": data.get("phone"),
        "language": data["preferred_language"],
        "consent": data["consent"],
    })
    # The welcome email is transactional (it confirms the sign-up): no marketing consent needed.
    notification_store.queue_delivery(
        ctx.db, ctx.session, event_id=event.id, recipient=data["member_id"], channel="email",
        template="welcome", language=data["preferred_language"], address=data["email"],
        context={"given_name": data["given_name"], "family_name": data["family_name"]},
        correlation_id=event.correlationid,
    )
    if wake_dispatcher is not None:
        ctx.after_commit.append(wake_dispatcher)


def subscriptions(wake_dispatcher=None) -> list[Subscription]:
    return [
        Subscription("members.member.registered", MemberRegistered(),
                     lambda event, ctx: on_member_registered(event, ctx, wake_dispatcher)),
    ]
