"""The notifications worker: consumes members events into the contact read model and
deliveries, and sends queued deliveries."""
from __future__ import annotations

from services.notifications.app import NAME, create_store
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.handlers import context_for_sending, subscriptions
from services.notifications.mailer import mailer_for
from shared.config import Config, load
from shared.service import build_worker
from shared.worker import PeriodicTask, Worker


def create_worker(config: Config | None = None) -> Worker:
    config = config or load()
    store = create_store(config)
    dispatcher = DeliveryDispatcher(store, mailer_for(config), config.mail_from, prepare=lambda delivery: context_for_sending(
        delivery, token_key=config.token_encryption_key, public_base_url=config.public_base_url))
    # Woken right after a handler commits new deliveries; the period is only a safety net.
    sender = PeriodicTask("delivery-dispatcher", dispatcher.dispatch_all, interval_s=2.0)
    return build_worker(NAME, config, store, subscriptions=subscriptions(sender.wake, config.public_base_url),
                        loops={"delivery-dispatcher": sender})
