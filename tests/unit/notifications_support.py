"""Fixtures and helpers the notifications tests of ambassadors, causes and awards share: the
store, the consumer-like handler, the send-time preparation of a delivery, the fan-out spread,
and the mails the real dispatcher hands a recording provider. A test module imports the
fixtures it uses by name (pytest finds them there)."""
from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from services.notifications import handlers
from services.notifications.fanout import FanoutSpreader
from services.notifications.worker import fanout_context
from tests.support import consumer_like
from tests.unit.notification_examples import DATA, event
from tests.unit.test_notifications_fanout import BASE, dispatch


@pytest.fixture
def config(make_config):
    return make_config(AMQP_URL="memory://")


@pytest.fixture
def store(notifications_store):
    return notifications_store


@pytest.fixture
def deliver(store):
    return consumer_like(store, handlers.subscriptions(public_base_url=BASE))


@pytest.fixture
def spread(store):
    return FanoutSpreader(store, fanout_context(BASE)).spread_all


@pytest.fixture
def prepare(config):
    return lambda delivery: handlers.context_for_sending(delivery, token_key=config.token_encryption_key,
                                                         link_key=config.link_signing_key, public_base_url=BASE)


def sent_mails(store, prepare) -> dict[str, object]:
    """What the dispatcher sends now, by address (email only: none of these has an SMS form)."""
    email, sms = dispatch(store, prepare)
    assert sms.sent == []
    return {m["To"]: message_from_bytes(m.as_bytes(), policy=policy.default) for m in email.sent}


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def html_of(mail) -> str:
    return mail.get_body(("html",)).get_content()


def of(event_type: str, **changes):
    """The contract's example of ``event_type`` with ``changes``, as its producer would publish it."""
    return event(event_type, {**DATA[event_type], **changes})
