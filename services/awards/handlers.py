"""What the awards service does with the events it consumes: for now only the access
revocations its api's token check honours (``shared.revocations``); the engagement ledger's
activity events come with their features."""
from __future__ import annotations

from shared import revocations
from shared.bus.consumer import Subscription


def subscriptions() -> list[Subscription]:
    return [revocations.subscription()]
