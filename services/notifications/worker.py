"""The notifications worker: consumes members and events messages into the contact read model,
deliveries and fan-outs; spreads fan-outs over their audience (woken by any process storing
one, and by its own period); builds daily digests; sends
queued deliveries by email and SMS; creates surveys' reminders when due; and gives queued
deliveries left in no batch their batch again (the stranded sweeper)."""
from __future__ import annotations

from datetime import timedelta

from services.notifications.app import NAME, create_store
from services.notifications.catalogue import NOTIFICATIONS
from services.notifications.digest import DigestBuilder
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.fanout import FanoutSpreader, NewFanouts, StrandedSweeper
from services.notifications.handlers import EVENT_LOG, context_for_sending, subscriptions
from services.notifications.surveys import SurveyReminders
from services.notifications.transports import senders_channels
from shared.bus.deadletters import DeadLetters
from shared.config import Config, load
from shared.service import build_worker
from shared.worker import PeriodicTask, Worker


def fanout_context(public_base_url: str):
    """The template context of a fan-out in one language (before the member's own fields)."""
    def context(fanout: dict, language: str) -> dict:
        if fanout["kind"] == "announcement":
            return {"subject": fanout["subject"][language], "body": fanout["body"][language]}
        return NOTIFICATIONS[fanout["event_type"]].context(fanout["data"], language, public_base_url)
    return context


# Senders of one worker's dispatcher, each with its own SMTP connection: they share their
# `sending` marks (under one store write per email) and overlap SMTP round trips. (A worker
# started after a kill once waited for minutes in the stale-claim recovery: its writes outside
# a transaction waited inside the embedded store on documents the killed worker's open
# transaction held. `requeue_stale` is wholly one transaction now: such a write is a conflict,
# retried, and the recovery goes through once the store reaps that transaction.)
SENDERS = 4


def create_worker(config: Config | None = None) -> Worker:
    config = config or load()
    store = create_store(config)

    def prepare(delivery: dict) -> dict:
        return context_for_sending(delivery, token_key=config.token_encryption_key, link_key=config.link_signing_key,
                                   public_base_url=config.public_base_url)

    channels, *more_senders = senders_channels(config, SENDERS)
    dispatcher = DeliveryDispatcher(store, channels, more_senders=more_senders, mail_from=config.mail_from,
                                    prepare=prepare,
                                    retry_base_s=config.delivery_retry_base_s,
                                    claim_timeout_s=config.delivery_claim_timeout_s,
                                    sms_max_segments=config.sms_max_segments)
    # Woken right after new deliveries are committed; the period is the safety net and the
    # pace of retries and quiet-hours releases.
    # On stop, the dispatcher finishes the message in hand and gives back the rest of its batch.
    sender = PeriodicTask("delivery-dispatcher", dispatcher.dispatch_all, interval_s=1.0, on_stop=dispatcher.stop)
    spreader = FanoutSpreader(store, fanout_context(config.public_base_url), wake_dispatcher=sender.wake)
    fanouts = PeriodicTask("fanout", spreader.spread_all, interval_s=2.0)
    survey_reminders = PeriodicTask("survey-reminders", SurveyReminders(store, wake_fanout=fanouts.wake).run_due,
                                    interval_s=config.survey_reminder_interval_s)
    digests = PeriodicTask("digest", DigestBuilder(store, prepare, wake_dispatcher=sender.wake).build_due,
                           interval_s=60.0)
    stranded = PeriodicTask("stranded-sweeper", StrandedSweeper(store, wake_dispatcher=sender.wake).sweep,
                            interval_s=60.0)
    return build_worker(NAME, config, store,
                        subscriptions=subscriptions(sender.wake, config.public_base_url, wake_fanout=fanouts.wake,
                                                    forget_parked=DeadLetters(config.amqp_url, NAME).purge_mentioning,
                                                    survey_reminder_lead=timedelta(
                                                        seconds=config.survey_reminder_lead_s),
                                                    office_email=config.office_email),
                        loops={"delivery-dispatcher": sender, "fanout": fanouts,
                               "new-fanouts": NewFanouts(store, fanouts.wake), "digest": digests,
                               "stranded-sweeper": stranded, "survey-reminders": survey_reminders},
                        # No service consumes delivery events yet: keep them a week in a stream.
                        consumer_options={"event_log": EVENT_LOG})
